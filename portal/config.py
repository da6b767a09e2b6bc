"""Configuration: defaults, overridable by environment variables and by a test dict.

Everything a deployment changes is read from the environment (``DATABASE_URL``, ``PORTAL_*``); the
secret key lives in ``instance/secret_key`` (created once with mode 0600, never regenerated, so a
restart does not log anybody out).
"""
from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_or_create_secret_key(instance_path: str | os.PathLike) -> str:
    """Return the persisted secret key from ``instance/secret_key``, creating it on first use.

    :param instance_path: the Flask instance folder; created if missing.
    :returns: a 64-character hex string.
    :raises RuntimeError: when the file exists but is empty (never silently run without a key).
    The file is written with mode 0600 and never rewritten once it exists. Creation is atomic
    (complete temporary file, then ``os.link``), so gunicorn workers starting together all end up
    with the same key.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:  # another process won the race: use its key
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to generate a new key (this logs everybody out)")
    return key


def default_config(instance_path: str) -> dict:
    """Build the default configuration for an app whose instance folder is ``instance_path``."""
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.sqlite3'}"
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    idle_minutes = _int_env("PORTAL_IDLE_MINUTES", 30)
    return {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # SQLite: how long (ms) a request waits for the write lock before "database is locked" (503).
        "SQLITE_BUSY_MS": _int_env("PORTAL_SQLITE_BUSY_MS", 30_000),
        "UPLOAD_FOLDER": str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": _int_env("PORTAL_MAX_UPLOAD_MB", 20) * 1024 * 1024,
        # Sessions: level-2 baseline for shared PCs (idle expiry, no remember-me cookie).
        "IDLE_TIMEOUT": timedelta(minutes=idle_minutes),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=idle_minutes),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("PORTAL_HTTPS") == "1",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": os.environ.get("PORTAL_HTTPS") == "1",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "DISPLAY_TIMEZONE": "Asia/Shanghai",
        # Domain defaults (domain.md 5.2): configurable per deployment.
        "DEFAULT_DEADLINE_DAYS": _int_env("PORTAL_DEADLINE_DAYS", 30),
        "DUE_SOON_DAYS": _int_env("PORTAL_DUE_SOON_DAYS", 7),
        "CASE_NO_PATTERN": os.environ.get("PORTAL_CASE_NO_PATTERN", "（{year}）{prefix}人调字第{seq:03d}号"),
        "PAGE_SIZE": 20,
    }
