"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.dialect import include_in_schema_compare
from portal.extensions import db


# Expression indexes (migration 0008's deadline sort) cannot be reflected on SQLite; both sides skip them.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrated_schema_matches_models(app):
    """``flask db upgrade`` on an empty database (the template DB) yields the models' schema."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                         "include_name": include_in_schema_compare})
        diffs = compare_metadata(context, db.metadata)
    assert diffs == [], "models and migrations disagree; add a migration:\n" + "\n".join(map(str, diffs))


def test_sqlite_pragmas(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_MS"]


def test_foreign_keys_are_enforced(app):
    import pytest
    from portal.models.org import OrgUnit
    db.session.add(OrgUnit(level="GRID", name="孤儿网格", parent_id=999999, sort=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
