"""Configuration read from the environment, in one place.

Every setting a deployer may change is an environment variable documented in README.md. This module has no Django
imports so that the CLI can validate the data dir before Django starts.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


class ConfigError(Exception):
    """A configuration problem the user must fix; the CLI prints it as one line."""


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    """The data dir (SHOPDESK_DATA_DIR, default ./var): SQLite file, uploads, exports, logs, secret key."""
    return Path(os.environ.get("SHOPDESK_DATA_DIR") or "var").expanduser().resolve()


def ensure_data_dir(path: Path) -> Path:
    """Create the data dir and its sub-folders, or raise ConfigError saying why not."""
    try:
        for sub in ("", "media", "exports", "logs", "backups", "static"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        # A probe of its own: processes starting together (web workers) must not remove each other's.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(f"data dir {path} is not writable: {exc.strerror or exc}") from exc
    return path


def secret_key(path: Path) -> str:
    """SHOPDESK_SECRET_KEY, or a key generated once and kept in <data dir>/secret_key (mode 600)."""
    key = os.environ.get("SHOPDESK_SECRET_KEY")
    if key:
        return key
    key_file = path / "secret_key"
    try:
        if key_file.exists():
            return key_file.read_text().strip()
        path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
    except FileExistsError:
        return key_file.read_text().strip()
    except OSError:
        # Read-only data dir: the CLI reports the real problem; Django still needs a key to import settings.
        return "unwritable-data-dir-" + secrets.token_urlsafe(20)


def database_url(path: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{path / 'shopdesk.sqlite3'}"
