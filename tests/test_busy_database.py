"""SQLite write contention (issue 7): a configurable busy timeout, a clear 503 "busy, nothing saved"
instead of a bare 500 when the write lock stays taken, and no commit on any GET page."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.models.dispute import Dispute
from portal.web import ERROR_MESSAGES
from tests.test_workflow import make_dispute

HX = {"HX-Request": "true"}


def busy_message(app) -> str:
    with app.test_request_context():
        return str(ERROR_MESSAGES[503])


def test_default_busy_timeout_is_30_seconds(app):
    assert app.config["SQLITE_BUSY_MS"] == 30_000
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


@pytest.mark.parametrize("app_config", [{"SQLITE_BUSY_MS": 1234}])
def test_busy_timeout_from_config(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_busy_timeout_from_environment(monkeypatch, tmp_path):
    from portal.config import default_config
    monkeypatch.setenv("PORTAL_SQLITE_BUSY_MS", "45000")
    assert default_config(str(tmp_path))["SQLITE_BUSY_MS"] == 45_000


def _edit_data(dispute: Dispute, summary: str) -> dict:
    return {"edit-version_id": str(dispute.version_id), "edit-title": dispute.title, "edit-summary": summary,
            "edit-category": dispute.category, "edit-risk_level": dispute.risk_level or "GREEN",
            "edit-location": str(dispute.grid_id or dispute.village_id), "edit-persons_involved": "2"}


@contextmanager
def write_lock():
    """Another connection holding SQLite's write lock (``BEGIN IMMEDIATE``) inside the ``with``."""
    other = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.parametrize("app_config", [{"SQLITE_BUSY_MS": 100}])
@pytest.mark.parametrize("htmx", [False, True])
def test_locked_database_answers_503_and_saves_nothing(app, client, auth, htmx):
    dispute = make_dispute()
    auth.login("zhongxin")
    dispute_id, original = dispute.id, dispute.summary
    data = _edit_data(dispute, "锁表期间的修改，不应保存")
    db.session.rollback()  # outside a request the test's own session would hold the write lock
    with write_lock():
        response = client.post(f"/disputes/{dispute_id}/edit", data=data, headers=HX if htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert busy_message(app) in html
    assert response.headers["Retry-After"] == "5"
    if htmx:  # the small fragment, put above the form so nothing typed is lost
        assert "<html" not in html and 'class="card error-box"' in html
        assert response.headers["HX-Retarget"] == "#main" and response.headers["HX-Reswap"] == "afterbegin"
    else:
        assert "<html" in html and "HX-Retarget" not in response.headers
    db.session.expire_all()
    assert db.session.scalar(select(Dispute.summary).where(Dispute.id == dispute_id)) == original


def test_lock_error_raised_in_a_view_is_503(app, client, auth, monkeypatch):
    def locked():
        raise OperationalError("UPDATE dispute ...", {}, sqlite3.OperationalError("database is locked"))
    auth.login("zhongxin")
    monkeypatch.setitem(app.view_functions, "main.index", locked)
    response = client.get("/", headers=HX)
    assert response.status_code == 503 and busy_message(app) in response.get_data(as_text=True)


def test_other_database_errors_stay_500(app, client, auth, monkeypatch):
    def broken():
        raise OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x"))
    auth.login("zhongxin")
    monkeypatch.setitem(app.view_functions, "main.index", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert busy_message(app) not in response.get_data(as_text=True)


def test_no_get_page_commits(app, client, auth):
    """"One commit per request, no commit on GET": open the main GET pages and count COMMITs."""
    dispute = make_dispute()
    auth.login("zhongxin")
    commits = []
    listener = lambda conn: commits.append(conn)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        urls = ["/", "/disputes/", f"/disputes/{dispute.id}", f"/disputes/{dispute.id}/edit",
                f"/records/{dispute.id}", "/disputes/inbox", "/disputes/new", "/ledger-io/", "/reports/",
                "/auth/preferences", f"/disputes/?q={dispute.title[:2]}"]
        answered = [url for url in urls if client.get(url).status_code == 200]
    finally:
        event.remove(db.engine, "commit", listener)
    assert len(answered) >= 6, answered
    assert commits == [], "a GET page committed"
