"""Everything that depends on the database dialect lives here (style.md 3.9).

SQLite gets WAL, ``foreign_keys=ON``, ``synchronous=NORMAL`` and a busy timeout on every connection,
and the driver's legacy transaction handling is replaced by our own ``BEGIN``: ``BEGIN IMMEDIATE`` for
write requests (anything but GET/HEAD/OPTIONS) and for CLI commands, so concurrent read-then-write
requests serialise instead of losing updates. PostgreSQL needs none of this.
"""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Set by ``migrations/env.py``: while true, new SQLite connections keep ``foreign_keys`` off
#: (batch migrations rebuild tables; the pragma is a no-op inside a transaction).
MIGRATING = False

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _on_connect(dbapi_connection, connection_record) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute(f"PRAGMA foreign_keys={'OFF' if MIGRATING else 'ON'}")
    cursor.close()


def _on_begin(conn) -> None:
    if has_request_context() and request.method in READ_METHODS:
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection and transaction listeners on ``engine`` (no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return
    if not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)


def like_pattern(text: str) -> str:
    """Return a ``LIKE … ESCAPE '\\'`` pattern matching ``text`` anywhere, with % and _ literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
