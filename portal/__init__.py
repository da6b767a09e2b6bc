"""The township dispute-mediation portal (矛盾纠纷排查化解).

:func:`create_app` builds the Flask app: configuration, extensions, blueprints, security hooks. It
creates no tables and runs no migrations; the only thing it may write is the instance folder's
secret key, the first time the app is ever started without one.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from portal.config import default_config, load_or_create_secret_key
from portal.extensions import babel, csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent

FEATURES = ("auth", "main", "admin", "disputes", "records", "reports", "ledger_io")


def create_app(config: dict | None = None) -> Flask:
    """Build and return the app.

    :param config: overrides applied last (tests pass their database URI, ``TESTING`` etc.).
    """
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=os.environ.get("PORTAL_INSTANCE") or str(PROJECT_ROOT / "instance"),
    )
    app.config.update(default_config(app.instance_path))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or load_or_create_secret_key(app.instance_path)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)

    from portal import i18n, pdf, security, web
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    with app.app_context():
        from portal.dialect import configure_engine
        configure_engine(db.engine, busy_ms=app.config.get("SQLITE_BUSY_MS", 30_000))
    security.init_app(app)
    web.init_app(app)
    pdf.init_app(app)

    import importlib
    for feature in FEATURES:
        module = importlib.import_module(f"portal.{feature}")
        app.register_blueprint(module.bp)

    from portal import cli
    cli.init_app(app)
    return app
