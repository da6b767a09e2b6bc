"""Test fixtures (flaskr/Indico style).

The schema is built once per session by running the real migrations (``flask db upgrade``) plus the
demo town and accounts into a template SQLite file; each test gets a fresh copy of that file, so
tests are isolated and every run exercises the migrations.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db

DEMO_PASSWORD = "portal-demo-2026"

#: One demo account per role (see portal/seed.py).
ROLE_USERS = {
    "ADMIN": "admin", "TOWN_STAFF": "zhongxin", "TOWN_LEADER": "lingdao", "MEDIATOR": "tiaojie",
    "VILLAGE_CADRE": "cun03", "GRID_WORKER": "wangge03", "COUNTY_VIEWER": "xian",
}


def _config(db_path: Path, instance: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(instance / "uploads"),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogs (as ``make translations`` does) so pages render in Chinese."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
                    str(Path(__file__).parent.parent / "portal" / "translations")],
                   check=True, capture_output=True)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """A migrated database with the demo town and accounts (no demo disputes), built once."""
    from flask_migrate import upgrade

    from portal.seed import seed_demo_org, seed_demo_users

    base = tmp_path_factory.mktemp("template")
    path = base / "template.sqlite3"
    app = create_app(_config(path, base))
    with app.app_context():
        upgrade()
        org = seed_demo_org()
        seed_demo_users(org)
        # Logins are most of the suite's time with scrypt (~0.5 s each): the demo accounts of the test
        # database get a cheap hash. Production hashing is unchanged (tests/test_auth.py checks scrypt).
        from sqlalchemy import update
        from werkzeug.security import generate_password_hash

        from portal.models.user import User
        db.session.execute(update(User).values(
            password_hash=generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1000")))
        db.session.commit()
        db.engine.dispose()
    return path


@pytest.fixture
def app_config() -> dict:
    """Per-test config overrides (override this fixture in a module to change settings)."""
    return {}


@pytest.fixture
def app(template_db, tmp_path, app_config, monkeypatch):
    """An app on a fresh copy of the template database, with its own instance folder."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("PORTAL_INSTANCE", str(instance))
    path = tmp_path / "portal.sqlite3"
    shutil.copy(template_db, path)
    app = create_app(_config(path, instance, **app_config))
    app.test_client_class = RequestScopedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class RequestScopedClient(FlaskClient):
    """A test client whose requests start and end like production requests although the fixture's app
    context (its ``g`` and database session) outlives them: ``g`` starts empty (Flask-Login caches the
    user there, so otherwise a second client would act as the first one's user), and whatever a request
    did not commit is rolled back afterwards (otherwise a view that forgets to commit passes its tests).
    """

    def open(self, *args, **kwargs):
        _clear_g()
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.rollback()
            _clear_g()


def _clear_g() -> None:
    from flask import g

    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out as a demo user: ``auth.login("zhongxin")`` or ``auth.login_role("VILLAGE_CADRE")``."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str = "zhongxin", password: str = DEMO_PASSWORD, **data):
        return self._client.post("/auth/login", data={"username": username, "password": password, **data})

    def login_role(self, role: str):
        return self.login(ROLE_USERS[role])

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(app):
    """Look up a user by name: ``user("cun03")``."""
    from sqlalchemy import select

    from portal.models.user import User

    def get(username: str) -> User:
        return db.session.scalar(select(User).where(User.username == username))

    return get


@pytest.fixture
def zh_text(app):
    """``zh_text("msgid", n=1)``: the text users see for a msgid (its zh_CN translation, or the msgid
    while the catalog has none), so tests keep passing when the catalog is filled."""
    from flask_babel import force_locale, gettext

    def translate(msgid: str, **variables) -> str:
        with app.test_request_context(), force_locale("zh_CN"):
            return gettext(msgid, **variables)

    return translate
