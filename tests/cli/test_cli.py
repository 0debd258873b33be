"""The `shopdesk` command, run as a user runs it: in a subprocess, against its own data dir."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)  # these tests use the SQLite database of their own data dir
    env.update(extra or {})
    return env


def run(*args, data_dir: Path, env=None, check=False):
    result = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir", str(data_dir)],
                            capture_output=True, text=True, env=_env(env), timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def assert_clean_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shopdesk: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def _counts(db_path: Path) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_help_on_every_command(tmp_path):
    for args in ([], ["demo"], ["serve"], ["user", "create"], ["user", "list"], ["role", "list"], ["shop", "add"],
                 ["backup"], ["restore"], ["check"], ["migrate"]):
        result = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--help"], capture_output=True, text=True,
                                env=_env(), timeout=60)
        assert result.returncode == 0, (args, result.stderr)
        assert "usage: shopdesk" in result.stdout


def test_users_shops_and_their_errors(tmp_path):
    data = tmp_path / "data"
    run("migrate", data_dir=data, check=True)

    out = run("user", "create", "lily", "--role", "cs_presales", "--role", "cs_aftersales", "--password",
              "Lily-pass-2026", "--token", data_dir=data, check=True).stdout.splitlines()
    token = out[-1].strip()
    assert len(token) == 40 and all(c in "0123456789abcdef" for c in token)

    assert_clean_error(run("user", "create", "lily", "--role", "cs_presales", data_dir=data), "lily")
    assert_clean_error(run("user", "create", "bob", "--role", "boss", data_dir=data), "Unknown role", "boss")
    assert_clean_error(run("user", "create", "bob", "--role", "finance", "--password", "123", data_dir=data),
                       "password")

    run("shop", "add", "tmall-a", "--platform", "tmall", "--name", "天猫A店", data_dir=data, check=True)
    assert_clean_error(run("shop", "add", "tmall-a", "--platform", "tmall", "--name", "again", data_dir=data),
                       "already exists", "tmall-a")
    assert_clean_error(run("shop", "add", "Bad Code!", "--platform", "jd", "--name", "x", data_dir=data), "code")
    bad_platform = run("shop", "add", "x1", "--platform", "amazon", "--name", "x", data_dir=data)
    assert bad_platform.returncode == 2 and "invalid choice" in bad_platform.stderr

    users = run("user", "list", data_dir=data, check=True).stdout
    assert "lily" in users and "cs_presales,cs_aftersales" in users
    shops = run("shop", "list", data_dir=data, check=True).stdout
    assert "tmall-a" in shops and "天猫A店" in shops
    roles = run("role", "list", data_dir=data, check=True).stdout
    assert "cs_presales" in roles and "staff.unmask_personal_data" in roles and "people: 1" in roles


def test_errors_for_unwritable_data_dir_and_unreachable_database(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    assert_clean_error(run("check", data_dir=blocker / "sub"), "not writable")

    unreachable = run("check", data_dir=tmp_path / "d",
                      env={"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"})
    assert_clean_error(unreachable, "database unreachable")

    fresh = run("check", data_dir=tmp_path / "e")
    assert fresh.returncode == 1 and "pending" in fresh.stdout
    not_migrated = run("user", "list", data_dir=tmp_path / "e")
    assert_clean_error(not_migrated, "shopdesk migrate")


def test_backup_then_restore_into_empty_dir_gives_identical_counts(tmp_path):
    src = tmp_path / "src"
    run("migrate", data_dir=src, check=True)
    run("user", "create", "wang", "--role", "warehouse", data_dir=src, check=True)
    run("shop", "add", "jd-a", "--platform", "jd", "--name", "京东A店", data_dir=src, check=True)
    backup_file = tmp_path / "backups" / "shopdesk.bak"
    run("backup", str(backup_file), data_dir=src, check=True)
    assert_clean_error(run("backup", str(backup_file), data_dir=src), "already exists")

    dst = tmp_path / "dst"
    run("restore", str(backup_file), data_dir=dst, check=True)
    original, restored = _counts(src / "shopdesk.sqlite3"), _counts(dst / "shopdesk.sqlite3")
    assert restored == original
    assert original["auth_user"] == 1 and original["channels_shop"] == 1 and original["core_auditevent"] >= 2
    assert "wang" in run("user", "list", data_dir=dst, check=True).stdout

    assert_clean_error(run("restore", str(backup_file), data_dir=dst), "already holds data")
    junk = tmp_path / "junk.bak"
    junk.write_text("hello")
    assert_clean_error(run("restore", str(junk), data_dir=tmp_path / "x"), "not a ShopDesk backup")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_demo(data: Path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shopdesk", "demo", "--no-browser", "--port", str(port),
                             "--data-dir", str(data)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_env())
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
                return proc, response.status, response.read().decode()
        except OSError:
            if proc.poll() is not None:
                raise AssertionError("demo exited: " + proc.stdout.read()) from None
            time.sleep(0.5)
    proc.kill()
    raise AssertionError("demo did not serve within 180 s")


def _stop(proc) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_demo_serves_and_second_run_reuses_the_data(tmp_path):
    data = tmp_path / "demo"
    proc, status, html = _serve_demo(data)
    out = _stop(proc)
    assert status == 200 and "店务台" in html and "登录" in html
    assert "Demo data created." in out and "zhangwei" in out and "shopdesk-demo" in out
    first = _counts(data / "shopdesk.sqlite3")
    assert first["auth_user"] == 16 and first["channels_shop"] == 4 and first["staff_standin"] == 1

    proc, status, _ = _serve_demo(data)
    out = _stop(proc)
    assert status == 200 and "already present, reused." in out
    second = _counts(data / "shopdesk.sqlite3")
    for table in ("auth_user", "channels_shop", "staff_standin", "core_auditevent", "staff_role"):
        assert second[table] == first[table], table
