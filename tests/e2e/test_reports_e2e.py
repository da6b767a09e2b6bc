"""Browser: open the October report, follow a figure to the ledger, submit the report.

Runs its own live server on a private copy of the template database holding the October fixture
(tests/reports_fixture.py), so other browser tests keep an empty ledger.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests.conftest import DEMO_PASSWORD


@pytest.fixture(scope="module")
def reports_server(template_db, tmp_path_factory):
    base = tmp_path_factory.mktemp("reports-live")
    path = base / "portal.sqlite3"
    shutil.copy(template_db, path)
    os.environ["PORTAL_INSTANCE"] = str(base)
    app = create_app({"SECRET_KEY": "e2e-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(base / "uploads")})
    with app.app_context():
        from tests.reports_fixture import build_october
        units = build_october()
        town_id = units["T"].id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", town_id
    server.shutdown()


def _login(page, url, username):
    page.goto(f"{url}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/auth/login" not in u)


def test_generate_report_and_follow_a_figure(page, reports_server):
    url, town_id = reports_server
    _login(page, url, "zhongxin")
    page.goto(f"{url}/reports/")
    page.select_option("#scope", f"T{town_id}")
    if page.locator("#period option[value='2026-10']").count():  # the picker offers the last 13 months
        page.select_option("#period", "2026-10")
        page.locator("#report-pick button[type=submit]").click()
        page.wait_for_url(lambda u: u.endswith("/2026-10"))
    else:
        page.goto(f"{url}/reports/T{town_id}/2026-10")
    expect(page.locator("#report-title")).to_have_text("白沙镇2026年10月矛盾纠纷排查化解情况统计表")
    total = page.locator('#table1 tr[data-row="ALL"] td').nth(1)
    expect(total).to_have_text("7")
    total.locator("a").click()
    page.wait_for_url(lambda u: "figure=found" in u)
    for name in ("d1纠纷", "d2纠纷", "d3纠纷", "d4纠纷", "d5纠纷", "d6纠纷", "d8纠纷"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    expect(page.get_by_text("d7纠纷", exact=True)).to_have_count(0)
    expect(page.get_by_text("d12纠纷", exact=True)).to_have_count(0)

    page.goto(f"{url}/reports/T{town_id}/2026-10")
    page.fill("#preparer_name", "王某")
    page.locator("#narrative-form button.primary").click()
    expect(page.locator("#report-status")).to_contain_text("1")
    expect(page.locator("#narrative-form")).to_have_count(0)
    expect(page.locator("#reopen-form")).to_be_visible()
