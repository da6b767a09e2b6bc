"""Everything that depends on the database dialect lives here (style.md 3.9).

SQLite gets WAL, ``foreign_keys=ON``, ``synchronous=NORMAL`` and a busy timeout on every connection
(``SQLITE_BUSY_MS``, default 30 s: a writer waits that long for the write lock before "database is
locked"; ``portal.web`` turns a request that still fails into a 503 "busy, nothing saved"),
and the driver's legacy transaction handling is replaced by our own ``BEGIN``: ``BEGIN IMMEDIATE`` for
write requests (anything but GET/HEAD/OPTIONS) and for CLI commands, so concurrent read-then-write
requests serialise instead of losing updates. PostgreSQL needs none of this.
"""
from __future__ import annotations

import weakref

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Set by ``migrations/env.py``: while true, new SQLite connections keep ``foreign_keys`` off
#: (batch migrations rebuild tables; the pragma is a no-op inside a transaction).
MIGRATING = False

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Default of how long (ms) a connection waits for a lock before SQLite answers "database is locked".
#: 20 concurrent writers on 2 workers × 4 threads queued longer than the old 5 s (bench, issue 7).
DEFAULT_BUSY_MS = 30_000

#: engine → its connect listener (one per engine, so configuring twice does not add a second one).
_CONNECT_LISTENERS: "weakref.WeakKeyDictionary[Engine, _OnConnect]" = weakref.WeakKeyDictionary()


class _OnConnect:
    """The ``connect`` listener: pragmas of every new SQLite connection, with this engine's busy timeout."""

    def __init__(self, busy_ms: int):
        self.busy_ms = busy_ms

    def __call__(self, dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(self.busy_ms)}")
        cursor.execute(f"PRAGMA foreign_keys={'OFF' if MIGRATING else 'ON'}")
        cursor.close()


def _on_begin(conn) -> None:
    if has_request_context() and (request.method in READ_METHODS or g.get("_portal_reads_only")):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(engine: Engine, busy_ms: int = DEFAULT_BUSY_MS) -> None:
    """Install the SQLite connection and transaction listeners on ``engine`` (no-op elsewhere).

    ``busy_ms`` is SQLite's ``busy_timeout`` in milliseconds (app config ``SQLITE_BUSY_MS``, env
    ``PORTAL_SQLITE_BUSY_MS``); configuring an engine again only changes it for new connections.
    """
    if engine.dialect.name != "sqlite":
        return
    listener = _CONNECT_LISTENERS.get(engine)
    if listener is not None:
        listener.busy_ms = busy_ms
        return
    listener = _CONNECT_LISTENERS[engine] = _OnConnect(busy_ms)
    event.listen(engine, "connect", listener)
    event.listen(engine, "begin", _on_begin)


def reads_only_from_now() -> None:
    """Start any further transaction of this request with a plain ``BEGIN`` (no write lock): used by the
    error page after a lock timeout, which must not queue for the lock again just to show the user's name."""
    g._portal_reads_only = True


def is_lock_timeout(error: BaseException) -> bool:
    """True when ``error`` (an ``sqlalchemy.exc.OperationalError`` or the driver's own) says the database
    stayed locked longer than the busy timeout (SQLite: "database is locked" / "database is busy")."""
    text = str(getattr(error, "orig", None) or error).lower()
    return "database is locked" in text or "database is busy" in text


def like_pattern(text: str) -> str:
    """Return a ``LIKE … ESCAPE '\\'`` pattern matching ``text`` anywhere, with % and _ literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_search(id_column, text_column, key: str):
    """Return the condition "``text_column`` contains ``key``" (``%`` and ``_`` literal) for the ledger's
    free text (portal.disputes.queries).

    Takes ``Dispute.id``, ``Dispute.search_text`` and a key already normalised like the stored text
    (services.search_key). Keys of 3 characters or more use the free-text index of migration 0008: on
    SQLite the FTS5 trigram table ``dispute_fts`` (a quoted phrase: exactly the substrings), elsewhere
    ``LIKE`` served by PostgreSQL's pg_trgm GIN index. Shorter keys cannot use a trigram index and
    fall back to ``LIKE`` (a scan, stopped early by the ledger's LIMIT when matches are common).
    """
    from sqlalchemy import column, literal_column, select, table

    from portal.extensions import db

    if len(key) >= 3 and db.engine.dialect.name == "sqlite":
        fts = table("dispute_fts", column("rowid"))
        phrase = '"' + key.replace('"', '""') + '"'
        return id_column.in_(select(fts.c.rowid).where(literal_column("dispute_fts").op("MATCH")(phrase)))
    return text_column.like(like_pattern(key), escape="\\")


def include_in_schema_compare(name, type_, parent_names) -> bool:
    """Alembic ``include_name`` hook: False for the free-text index objects that migration 0008
    creates outside the models (SQLite's ``dispute_fts*`` tables, PostgreSQL's
    ``ix_dispute_search_trgm``), so autogenerate and the schema test leave them alone."""
    if type_ == "table":
        return not (name or "").startswith("dispute_fts")
    if type_ == "index":
        return name != "ix_dispute_search_trgm"
    return True
