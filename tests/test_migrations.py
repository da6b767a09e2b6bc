"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_migrated_schema_matches_models(app):
    """``flask db upgrade`` on an empty database (the template DB) yields the models' schema."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diffs = compare_metadata(context, db.metadata)
    assert diffs == [], "models and migrations disagree; add a migration:\n" + "\n".join(map(str, diffs))


def test_sqlite_pragmas(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_foreign_keys_are_enforced(app):
    import pytest
    from portal.models.org import OrgUnit
    db.session.add(OrgUnit(level="GRID", name="孤儿网格", parent_id=999999, sort=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
