"""Ledger speed at 100,000 disputes (issue 7): one index per sort and scope column, and a free-text
index over ``dispute.search_text`` (SQLite: an FTS5 trigram table kept in sync by triggers;
PostgreSQL: a pg_trgm GIN index). The matching conditions are in ``portal.dialect.text_search``.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCOPES = ("town", "village", "grid")
OLD_FOUND = {"town": ["town_id", "found_date"], "village": ["village_id", "found_date"],
             "grid": ["grid_id", "found_date"]}

# External-content FTS5 table: the text lives in dispute.search_text only; the triggers keep the index
# in step with every INSERT, DELETE and UPDATE of search_text (bulk SQL included).
SQLITE_UP = [
    "CREATE VIRTUAL TABLE dispute_fts USING fts5(search_text, content='dispute', content_rowid='id', "
    "tokenize='trigram')",
    "INSERT INTO dispute_fts(dispute_fts) VALUES ('rebuild')",
    "CREATE TRIGGER dispute_fts_ai AFTER INSERT ON dispute BEGIN "
    "INSERT INTO dispute_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER dispute_fts_ad AFTER DELETE ON dispute BEGIN "
    "INSERT INTO dispute_fts(dispute_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER dispute_fts_au AFTER UPDATE OF search_text ON dispute BEGIN "
    "INSERT INTO dispute_fts(dispute_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO dispute_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS dispute_fts_au", "DROP TRIGGER IF EXISTS dispute_fts_ad",
               "DROP TRIGGER IF EXISTS dispute_fts_ai", "DROP TABLE IF EXISTS dispute_fts"]
POSTGRES_UP = ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
               "CREATE INDEX ix_dispute_search_trgm ON dispute USING gin (search_text gin_trgm_ops)"]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_dispute_search_trgm"]


def _deadline():
    return sa.func.coalesce(sa.text("deadline_extended_to"), sa.text("deadline"))


def upgrade():
    # Plain op.* (not batch): creating and dropping indexes needs no table rebuild, and a rebuild
    # would drop the FTS triggers below.
    for scope, columns in OLD_FOUND.items():
        op.drop_index(f"ix_dispute_{scope}_found", table_name="dispute", if_exists=True)
    for scope in SCOPES:
        column = f"{scope}_id"
        op.create_index(f"ix_dispute_{scope}_found", "dispute", [column, "found_date", "id", "status"])
        op.create_index(f"ix_dispute_{scope}_risk", "dispute", [column, "risk_level", "found_date", "id", "status"])
        op.create_index(f"ix_dispute_{scope}_deadline", "dispute", [sa.text(column), _deadline(), sa.text("id"),
                                                                    sa.text("status")])
        op.create_index(f"ix_dispute_{scope}_case", "dispute", [column, "case_year", "case_no", "id", "status"])
    name = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(name, []):
        op.execute(statement)


def downgrade():
    name = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(name, []):
        op.execute(statement)
    for scope in SCOPES:
        for kind in ("case", "deadline", "risk", "found"):
            op.drop_index(f"ix_dispute_{scope}_{kind}", table_name="dispute")
    for scope, columns in OLD_FOUND.items():
        op.create_index(f"ix_dispute_{scope}_found", "dispute", columns)
