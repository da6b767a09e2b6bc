"""Browser tests: Playwright driving Debian's Chromium against a live server (style.md 3.14).

The live server runs the real app in a thread on a free port, on a file SQLite database (WAL) copied
from the migrated template, with CSRF **enabled** as in production. ``PORTAL_CHROMIUM`` overrides
the browser path; without a browser the tests are skipped with a message.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from portal import create_app
from tests.conftest import DEMO_PASSWORD

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium or set PORTAL_CHROMIUM)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def live_app(template_db, tmp_path_factory):
    """The app behind the live server (its own database and instance folder for the session)."""
    base = tmp_path_factory.mktemp("live")
    path = base / "portal.sqlite3"
    shutil.copy(template_db, path)
    os.environ["PORTAL_INSTANCE"] = str(base)
    app = create_app({"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(base / "uploads")})
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture
def login(page):
    """``login("zhongxin")`` logs the page in through the real form and waits for the home page."""

    def do_login(username: str, password: str = DEMO_PASSWORD):
        page.goto("/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url)
        return page

    return do_login
