"""Backup and restore of the whole database.

SQLite: the online backup API gives a consistent copy while ShopDesk keeps running. PostgreSQL: pg_dump in its
custom format, restored with pg_restore. The file's first bytes tell which kind a backup is.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections

from shopdesk.cli import CliError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


def _db() -> dict:
    return settings.DATABASES["default"]


def _is_sqlite() -> bool:
    return _db()["ENGINE"] == "django.db.backends.sqlite3"


def _kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise CliError(f"{path} is not a ShopDesk backup (neither a SQLite database nor a pg_dump archive)")


def _pg_env() -> dict:
    db = _db()
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CliError(f"{name} was not found: install the PostgreSQL client tools to back up a PostgreSQL database")
    return found


def backup(target: Path) -> Path:
    target = target.expanduser().resolve()
    if target.exists():
        raise CliError(f"{target} already exists: choose a new file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from exc
    connections.close_all()
    if _is_sqlite():
        source_path = Path(_db()["NAME"])
        if not source_path.exists():
            raise CliError(f"there is no database at {source_path} yet: nothing to back up")
        source = sqlite3.connect(source_path)
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target
    result = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
         "--dbname", _db()["NAME"]],
        env=_pg_env(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise CliError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}")
    return target


def _database_has_data() -> bool:
    from django.db import connection

    tables = connection.introspection.table_names()
    if "auth_user" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM auth_user")
        return cursor.fetchone()[0] > 0


def restore(source: Path, *, force: bool = False) -> None:
    source = source.expanduser().resolve()
    if not source.is_file():
        raise CliError(f"backup file not found: {source}")
    kind = _kind(source)
    engine = "sqlite" if _is_sqlite() else "postgresql"
    if kind != engine:
        raise CliError(f"{source} is a {kind} backup but the configured database is {engine}")
    if _database_has_data() and not force:
        raise CliError("the database already holds data: restore into an empty data dir, or pass --force to "
                       "overwrite it")
    connections.close_all()
    if kind == "sqlite":
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            has_migrations = check.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='django_migrations'").fetchone()[0]
        finally:
            check.close()
        if ok != "ok" or not has_migrations:
            raise CliError(f"{source} is damaged or not a ShopDesk database (integrity check: {ok})")
        dest_path = Path(_db()["NAME"])
        src = sqlite3.connect(source)
        dest = sqlite3.connect(dest_path)
        try:
            with dest:
                src.backup(dest)
        finally:
            src.close()
            dest.close()
        return
    result = subprocess.run(
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--dbname", _db()["NAME"], str(source)],
        env=_pg_env(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        raise CliError(f"pg_restore failed: {tail}")
