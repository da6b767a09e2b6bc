"""Alembic environment for Flask-Migrate (batch mode on SQLite is on by default in Flask-Migrate 4).

While migrating, SQLite connections keep ``foreign_keys`` off (batch operations rebuild tables), and
``PRAGMA foreign_key_check`` runs at the end: the upgrade fails if it left a dangling reference.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from portal import dialect as portal_db

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain ``sa.DateTime(timezone=True)``: migrations must not import app code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=str(target_db.engine.url), target_metadata=target_db.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the app's engine."""
    engine = target_db.engine
    sqlite = engine.dialect.name == "sqlite"
    portal_db.MIGRATING = True
    engine.dispose()  # new connections pick up foreign_keys=OFF
    try:
        conf_args = current_app.extensions["migrate"].configure_args
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_db.metadata, render_item=render_item,
                              include_name=portal_db.include_in_schema_compare, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")
    finally:
        portal_db.MIGRATING = False
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
