"""Backup and restore on PostgreSQL (pg_dump / pg_restore): runs in CI's PostgreSQL leg."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not URL.startswith(("postgres://", "postgresql://")),
                       reason="DATABASE_URL is not PostgreSQL (runs in the PostgreSQL leg of CI)"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _url_for(db: str) -> str:
    parts = urlsplit(URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + db, parts.query, parts.fragment))


@pytest.fixture
def databases():
    import psycopg

    names = [f"shopdesk_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(_url_for("postgres"), autocommit=True) as con:
        for name in names:
            con.execute(f'CREATE DATABASE "{name}"')
    yield names
    with psycopg.connect(_url_for("postgres"), autocommit=True) as con:
        for name in names:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(db, tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_"))}
    env["DATABASE_URL"] = _url_for(db)
    result = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir", str(tmp_path / db)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _counts(db):
    import psycopg

    with psycopg.connect(_url_for(db)) as con:
        tables = [r[0] for r in con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_pg_backup_then_restore_into_empty_database(databases, tmp_path):
    source, target = databases
    _run(source, tmp_path, "migrate")
    _run(source, tmp_path, "user", "create", "wang", "--role", "warehouse")
    _run(source, tmp_path, "shop", "add", "jd-a", "--platform", "jd", "--name", "京东A店")
    backup_file = tmp_path / "pg.bak"
    _run(source, tmp_path, "backup", str(backup_file))
    assert backup_file.read_bytes()[:5] == b"PGDMP"
    _run(target, tmp_path, "restore", str(backup_file))
    original, restored = _counts(source), _counts(target)
    assert restored == original
    assert original["auth_user"] == 1 and original["channels_shop"] == 1
