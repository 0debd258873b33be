"""The `shopdesk` command: demo, serve, migrate, check, users, roles, shops, backup and restore.

User mistakes (unknown role, existing shop, unreachable database, unwritable data dir) end with one line on stderr and
exit status 1, never a traceback. `--data-dir` (or SHOPDESK_DATA_DIR) chooses the data dir for every command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shopdesk import __version__, config

PLATFORMS = ["taobao", "tmall", "jd", "1688", "own_site", "distributor"]


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


# --- set-up -----------------------------------------------------------------------------------------------------


def _setup_django(args) -> None:
    if getattr(args, "data_dir", None):
        os.environ["SHOPDESK_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    config.ensure_data_dir(config.data_dir())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopdesk.settings")
    import django

    django.setup()
    from django.utils import translation

    # The command line speaks English (an operator's tool, like its --help); the web UI is Chinese first.
    translation.activate("en")


def _pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _require_migrated() -> None:
    pending = _pending_migrations()
    if pending:
        raise CliError(f"the database needs {len(pending)} migrations: run `shopdesk migrate` first")


# --- commands ---------------------------------------------------------------------------------------------------


def cmd_demo(args) -> int:
    from shopdesk import demo

    print(f"ShopDesk {__version__} · data dir {config.data_dir()}")
    _migrate()
    result = demo.load_demo()
    print("Demo data " + ("created." if result.created else "already present, reused."))
    url = f"http://{args.host}:{args.port}/"
    print(f"\nOpen {url} and log in with one of these demo accounts (password: {demo.DEMO_PASSWORD}):")
    for username, name, roles in demo.DEMO_STAFF:
        print(f"  {username:<12} {name:<6} {', '.join(roles)}")
    if not args.no_browser:
        _open_browser_later(url)
    return _serve(args.host, args.port, args.threads)


def cmd_serve(args) -> int:
    _require_migrated()
    print(f"ShopDesk {__version__} on http://{args.host}:{args.port}/ (data dir {config.data_dir()})")
    return _serve(args.host, args.port, args.threads)


def _open_browser_later(url: str) -> None:
    # Only where a graphical browser can open; on a headless server webbrowser would start a text browser.
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("darwin", "win32")):
        return
    import threading
    import webbrowser

    threading.Timer(1.0, webbrowser.open, args=(url,)).start()


def _serve(host: str, port: int, threads: int) -> int:
    import waitress

    from shopdesk.wsgi import application

    print("Press Ctrl+C to stop.", flush=True)
    try:
        waitress.serve(application, host=host, port=port, threads=threads, ident="ShopDesk")
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    except KeyboardInterrupt:
        pass
    return 0


def cmd_migrate(args) -> int:
    _migrate(verbosity=1)
    return 0


def cmd_check(args) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    db = settings.DATABASES["default"]
    print(f"data dir:  {config.data_dir()} (writable)")
    print(f"database:  {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    print("database:  reachable")
    pending = _pending_migrations()
    call_command("check", verbosity=0)
    print("django:    system checks passed")
    if pending:
        print(f"migrations: {len(pending)} pending — run `shopdesk migrate`")
        return 1
    print("migrations: up to date")
    return 0


def cmd_user_create(args) -> int:
    from shopdesk.channels.models import Shop
    from shopdesk.staff import services

    _require_migrated()
    shops = []
    for code in args.shop or []:
        shop = Shop.objects.filter(code=code).first()
        if shop is None:
            raise CliError(f"unknown shop: {code}")
        shops.append(shop)
    user = services.create_staff_member(actor=None, username=args.username, roles=args.role, password=args.password,
                                        display_name=args.name or "", shops=shops)
    print(f"created user {user.username} with roles {', '.join(args.role)}")
    if args.token:
        print(services.issue_api_token(actor=None, user=user))
    return 0


def cmd_user_list(args) -> int:
    from shopdesk.staff.selectors import staff_members

    _require_migrated()
    for user in staff_members().order_by("username"):
        roles = ",".join(g.role.code for g in user.groups.all() if hasattr(g, "role"))
        shops = ",".join(s.code for s in user.staff_profile.shops.all()) if hasattr(user, "staff_profile") else ""
        state = "" if user.is_active else " (deactivated)"
        print(f"{user.username:<16} {roles:<32} {shops}{state}")
    return 0


def cmd_role_list(args) -> int:
    from shopdesk.staff.selectors import roles_with_counts

    _require_migrated()
    for role in roles_with_counts():
        perms = sorted(f"{p.content_type.app_label}.{p.codename}" for p in role.group.permissions.all())
        print(f"{role.code:<15} {role.name}  (people: {role.members}, max discount {role.max_discount_percent}%, "
              f"max shipping-fee change ¥{role.max_shipping_fee_change}, max refund ¥{role.max_refund})")
        for perm in perms:
            print(f"    {perm}")
    return 0


def cmd_shop_add(args) -> int:
    from shopdesk.channels import services

    _require_migrated()
    shop = services.add_shop(actor=None, code=args.code, platform=args.platform, name=args.name)
    print(f"added shop {shop.code} ({shop.platform}) {shop.name}")
    return 0


def cmd_shop_list(args) -> int:
    from shopdesk.channels.models import Shop

    _require_migrated()
    for shop in Shop.objects.order_by("code"):
        print(f"{shop.code:<20} {shop.platform:<12} {shop.name}{'' if shop.is_active else ' (closed)'}")
    return 0


def cmd_deadlines_sweep(args) -> int:
    from shopdesk.core.services import sweep_deadlines

    _require_migrated()
    missed = sweep_deadlines()
    print(f"{missed} overdue deadlines marked missed and escalated")
    return 0


def cmd_stock_verify(args) -> int:
    from shopdesk.inventory.engine import verify_ledger

    _require_migrated()
    problems = verify_ledger()
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problems: the ledger does not agree with the stock figures", file=sys.stderr)
        return 1
    print("ledger OK")
    return 0


def cmd_check_parcels(args) -> int:
    from django.core.management import call_command

    _require_migrated()
    call_command("check_parcels")
    return 0


def cmd_import_orders(args) -> int:
    import json

    from shopdesk.channels.models import Shop
    from shopdesk.orders import services

    _require_migrated()
    shop = Shop.objects.filter(code=args.shop).first()
    if shop is None:
        raise CliError(f"no shop with code {args.shop} (see `shopdesk shop list`)")
    for path in filter(None, (args.file, args.items)):
        if not Path(path).is_file():
            raise CliError(f"no such file: {path}")

    def progress(run):
        if not args.json and sys.stderr.isatty() and run.total:
            print(f"\r{run.processed}/{run.total} orders", end="", file=sys.stderr, flush=True)

    summary = services.import_orders(actor=None, shop=shop, path=args.file, items_path=args.items, fmt=args.format,
                                     on_progress=progress)
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(f"created {summary.created}, updated {summary.updated}, duplicates {summary.duplicates}, "
              f"rejected {summary.rejected_count}")
        for row in summary.rejected:
            print(f"  line {row['line']}: {row['reason']}")
        if summary.rejected_count:
            print("nothing was imported: fix the rows above and import the file again", file=sys.stderr)
    return 1 if summary.rejected_count else 0


def cmd_backup(args) -> int:
    from shopdesk import backup

    path = backup.backup(Path(args.file))
    print(f"backup written to {path}")
    return 0


def cmd_restore(args) -> int:
    from shopdesk import backup

    backup.restore(Path(args.file), force=args.force)
    print(f"restored {args.file} into {config.data_dir()}")
    return 0


def cmd_service_train(args) -> int:
    from shopdesk.service import intents

    return intents.train_command(args)


def cmd_service_import_chats(args) -> int:
    _require_migrated()
    from shopdesk.service import chatlog

    return chatlog.import_command(args)


def cmd_bench(args) -> int:
    import importlib.util
    import json

    from django.conf import settings

    bench_dir = Path(args.bench_dir) if args.bench_dir else Path(__file__).resolve().parents[2] / "bench"
    if not bench_dir.is_dir():
        raise CliError(f"no benchmarks at {bench_dir}: run from a source checkout or pass --bench-dir")
    available = sorted(p.stem for p in bench_dir.glob("*.py") if not p.stem.startswith("_"))
    names = available if args.name == "all" else [args.name]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise CliError(f"unknown benchmark {unknown[0]} (available: {', '.join(available)}, all)")
    _migrate()
    db = settings.DATABASES["default"]
    print(f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    for name in names:
        spec = importlib.util.spec_from_file_location(f"shopdesk_bench_{name}", bench_dir / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        kwargs = {"rows": args.rows} if args.rows else {}
        report = module.run(**kwargs)
        print(f"== {name}")
        if args.json or not hasattr(module, "table"):
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            print(module.table(report))
    return 0


# --- parser -----------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="data dir (default: $SHOPDESK_DATA_DIR or ./var)")

    parser = argparse.ArgumentParser(
        prog="shopdesk", parents=[common],
        description="ShopDesk (店务台): the back office of an e-commerce department.",
    )
    parser.add_argument("--version", action="version", version=f"shopdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, func, help_text, **kw):
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text, **kw)
        p.set_defaults(func=func)
        return p

    def server_options(p, default_host="127.0.0.1"):
        p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        p.add_argument("--host", default=default_host, help=f"address to listen on (default {default_host})")
        p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")

    p = add("demo", cmd_demo, "create the data dir, migrate, load the demo department and serve it")
    server_options(p)
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    server_options(add("serve", cmd_serve, "serve ShopDesk (production: gunicorn shopdesk.wsgi)"))
    add("migrate", cmd_migrate, "create or upgrade the database tables")
    add("check", cmd_check, "check the configuration and that the database is reachable")

    user = add("user", None, "manage accounts")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = user_sub.add_parser("create", parents=[common], help="create an account",
                            description="Create an account holding one or more roles.")
    p.add_argument("username")
    p.add_argument("--role", action="append", required=True, metavar="ROLE",
                   help="role code (repeat for several roles); see `shopdesk role list`")
    p.add_argument("--password", help="initial password (at least 8 characters)")
    p.add_argument("--name", help="display name, e.g. 张伟")
    p.add_argument("--shop", action="append", metavar="CODE", help="shop code to assign (repeatable)")
    p.add_argument("--token", action="store_true", help="also create an API token and print it")
    p.set_defaults(func=cmd_user_create)
    p = user_sub.add_parser("list", parents=[common], help="list accounts", description="List accounts.")
    p.set_defaults(func=cmd_user_list)

    role = add("role", None, "roles and their permissions")
    role_sub = role.add_subparsers(dest="role_command", metavar="ACTION", required=True)
    p = role_sub.add_parser("list", parents=[common], help="list roles with their permissions and limits",
                            description="List roles with their permissions and authority limits.")
    p.set_defaults(func=cmd_role_list)

    shop = add("shop", None, "shops")
    shop_sub = shop.add_subparsers(dest="shop_command", metavar="ACTION", required=True)
    p = shop_sub.add_parser("add", parents=[common], help="add a shop", description="Add a shop.")
    p.add_argument("code", help="short code, e.g. tmall-main")
    p.add_argument("--platform", required=True, choices=PLATFORMS)
    p.add_argument("--name", required=True, help="shop name, e.g. 某某天猫旗舰店")
    p.set_defaults(func=cmd_shop_add)
    p = shop_sub.add_parser("list", parents=[common], help="list shops", description="List shops.")
    p.set_defaults(func=cmd_shop_list)

    deadlines = add("deadlines", None, "deadlines (时限)")
    deadlines_sub = deadlines.add_subparsers(dest="deadlines_command", metavar="ACTION", required=True)
    p = deadlines_sub.add_parser("sweep", parents=[common], help="mark overdue deadlines missed and escalate them",
                                 description="Mark every open deadline past due as missed and escalate it to its "
                                             "escalation role. Run it every few minutes (cron or a scheduler).")
    p.set_defaults(func=cmd_deadlines_sweep)

    stock = add("stock", None, "stock (库存)")
    stock_sub = stock.add_subparsers(dest="stock_command", metavar="ACTION", required=True)
    p = stock_sub.add_parser("verify", parents=[common], help="check that the stock ledger agrees with the figures",
                             description="Check that movements, lots, location and warehouse stock and reservations "
                                         "agree (账实相符). Prints 'ledger OK' or each problem; exit status 1 on "
                                         "problems.")
    p.set_defaults(func=cmd_stock_verify)

    add("check-parcels", cmd_check_parcels, "open a 'no movement' exception for every parcel that has not moved for "
        "its shop's stall hours (48 by default); run it hourly from cron")
    p = add("import-orders", cmd_import_orders, "import a platform order export into a shop's orders (订单导入)")
    p.add_argument("file", help="the order file: Taobao/Tmall ExportOrderList.csv, a JD xlsx or the generic template")
    p.add_argument("--items", help="the Taobao/Tmall item file (ExportOrderDetailList.csv)")
    p.add_argument("--shop", required=True, help="shop code")
    p.add_argument("--format", default="auto", choices=["auto", "taobao", "jd", "generic"])
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: created, updated, duplicates, rejected [{line, reason}]")
    service = add("service", None, "customer service: the reply-suggestion model, chat-log import (客服)")
    service_sub = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    p = service_sub.add_parser("train", parents=[common], help="retrain the intent model from the labelled dataset",
                               description="Retrain the buyer-message intent model from the labelled dataset and "
                                           "report its accuracy on the held-out split.")
    p.set_defaults(func=cmd_service_train)
    p.add_argument("--dataset", help="a labelled dataset (JSON lines: text, intent); default: the packaged one")
    p.add_argument("--output", help="where to write the model (default: the packaged model file)")
    p = service_sub.add_parser("import-chats", parents=[common], help="import a platform chat log (聊天记录导入)",
                               description="Import a platform chat-log export (CSV or xlsx: time, shop, buyer, "
                                           "agent, direction, text); importing it again adds nothing.")
    p.set_defaults(func=cmd_service_import_chats)
    p.add_argument("file", help="the chat log, CSV (UTF-8 or GBK) or xlsx")
    p.add_argument("--shop", help="shop code for rows that name no shop")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: created, duplicates, rejected [{line, reason}]")
    p = add("bench", cmd_bench, "run a benchmark from bench/ (in a temporary data dir unless --data-dir is given)")
    p.add_argument("name", help="benchmark name, or all")
    p.add_argument("--rows", type=int, help="data size (each benchmark has a default)")
    p.add_argument("--bench-dir", help="folder of the benchmark scenarios (default: the checkout's bench/)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(temp_data_dir=True)
    p = add("backup", cmd_backup, "write a consistent copy of the database to FILE (SQLite backup API or pg_dump)")
    p.add_argument("file")
    p = add("restore", cmd_restore, "restore a backup FILE into the database of the data dir")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="overwrite a database that already holds data")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    scratch = None
    if getattr(args, "temp_data_dir", False) and not getattr(args, "data_dir", None):
        import tempfile

        args.data_dir = scratch = tempfile.mkdtemp(prefix="shopdesk-bench-")
    try:
        _setup_django(args)
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `shopdesk role list | head`: the reader went away; that is not an error.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - keep Python from complaining at exit
        return 0
    except Exception as exc:  # noqa: BLE001 - translate known user errors into one line
        message = _user_error(exc)
        if message is None:
            raise
        print(f"shopdesk: error: {message}", file=sys.stderr)
        return 1
    finally:
        if scratch is not None:  # a benchmark's temporary data dir (its databases can be hundreds of MB)
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def _user_error(exc: Exception) -> str | None:
    if isinstance(exc, CliError | config.ConfigError):
        return str(exc)
    from shopdesk.core.errors import ServiceError

    if isinstance(exc, ServiceError):
        return exc.message
    try:
        from django.db.utils import OperationalError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, OperationalError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return f"database unreachable: {first}"
    return None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
