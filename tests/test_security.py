"""Sessions, CSRF with htmx, security headers, the persisted secret key."""
from __future__ import annotations

import os
import stat
import time

import pytest

from portal import create_app
from portal.config import load_or_create_secret_key
from tests.conftest import DEMO_PASSWORD

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/villages?page=2"}


def _age_session(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session["_seen"] = time.time() - seconds


def test_anonymous_page_redirects_to_login_with_next(client):
    response = client.get("/villages")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/villages"


def test_anonymous_htmx_request_gets_401_and_hx_redirect(client):
    response = client.get("/villages", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/villages?page%3D2"
    assert response.text == ""  # never a login page swapped into a fragment


def test_idle_session_expires_on_a_normal_request(client, auth):
    auth.login("zhongxin")
    _age_session(client, 29 * 60)
    assert client.get("/villages").status_code == 200  # 29 minutes idle: still fine
    _age_session(client, 31 * 60)
    response = client.get("/villages")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/villages"
    login_page = client.get(response.headers["Location"])
    assert "flash-warning" in login_page.text  # "your session expired"


def test_idle_session_expires_on_an_htmx_request_and_comes_back(client, auth):
    auth.login("zhongxin")
    _age_session(client, 31 * 60)
    response = client.get("/villages", headers=HTMX)
    assert response.status_code == 401
    login_url = response.headers["HX-Redirect"]
    assert login_url.startswith("/auth/login?next=")
    assert client.get("/villages").status_code == 302  # really logged out
    response = client.post("/auth/login", data={"username": "zhongxin", "password": DEMO_PASSWORD,
                                                 "next": "/villages?page=2"})
    assert response.headers["Location"] == "/villages?page=2"


@pytest.mark.parametrize("app_config", [{"IDLE_TIMEOUT": __import__("datetime").timedelta(minutes=5)}])
def test_idle_timeout_is_configurable(client, auth):
    auth.login("zhongxin")
    _age_session(client, 6 * 60)
    assert client.get("/villages").status_code == 302


def test_idle_clock_starts_at_login(client, auth):
    auth.login("zhongxin")
    with client.session_transaction() as session:
        assert time.time() - session["_seen"] < 60
        assert session.permanent


def test_session_cookie_flags(client, auth):
    response = auth.login("zhongxin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))


# --- CSRF (an app with CSRF on, as in production) ---------------------------------------------

@pytest.fixture
def app_config(request):
    return {"WTF_CSRF_ENABLED": True} if "csrf" in request.node.name else {}


def _login_with_token(client) -> str:
    page = client.get("/auth/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/admin/org")
    return page.text.split('"X-CSRFToken": "')[1].split('"')[0]


def test_csrf_login_without_token_is_refused(client, user):
    response = client.post("/auth/login", data={"username": "zhongxin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.get("/villages").status_code == 302
    assert user("zhongxin").last_login_at is None


def test_csrf_post_without_token_is_refused(client, user):
    token = _login_with_token(client)
    assert token
    unit = user("cun03").org_unit
    response = client.post(f"/admin/org/{unit.id}/edit", data={"name": "改名村"})
    assert response.status_code == 400
    assert user("cun03").org_unit.name == "西坪村"


def test_csrf_htmx_post_with_header_is_accepted(client, user):
    token = _login_with_token(client)
    unit = user("cun03").org_unit
    response = client.post(f"/admin/org/{unit.id}/edit", data={"name": "西坪新村", "division_code": ""},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert 'id="org-tree"' in response.text
    assert user("cun03").org_unit.name == "西坪新村"


def test_csrf_htmx_post_without_token_while_logged_in_refreshes(client):
    _login_with_token(client)
    response = client.post("/admin/org/1/edit", data={"name": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Refresh"] == "true"


def test_csrf_htmx_post_after_session_is_gone_redirects_to_login(client):
    token = _login_with_token(client)
    client.delete_cookie("session")  # the browser dropped the expired cookie
    response = client.post("/admin/org/1/edit", data={"name": "x"},
                           headers={"HX-Request": "true", "X-CSRFToken": token,
                                    "HX-Current-URL": "http://localhost/admin/org"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/admin/org"


# --- headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path, logged_in", [("/auth/login", False), ("/villages", True), ("/nope", True)])
def test_security_headers(client, auth, path, logged_in):
    if logged_in:
        auth.login("zhongxin")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


def test_logged_in_pages_are_not_stored(client, auth):
    auth.login("zhongxin")
    for headers in ({}, HTMX):
        response = client.get("/villages", headers=headers)
        assert response.headers["Cache-Control"] == "no-store"
        assert {"HX-Request", "HX-Request-Type"} <= {v.strip() for v in response.headers["Vary"].split(",")}


def test_pages_have_no_inline_script(client, auth):
    auth.login("admin")
    for path in ("/auth/login", "/villages", "/admin/org", "/admin/users"):
        text = client.get(path).text
        assert "<script>" not in text and " on" + "click=" not in text and "hx-on" not in text


# --- secret key -------------------------------------------------------------------------------

def test_secret_key_is_persisted_0600_and_reused(tmp_path, monkeypatch, template_db):
    instance = tmp_path / "inst"
    monkeypatch.setenv("PORTAL_INSTANCE", str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{template_db}"}
    first = create_app(dict(config))
    key_file = instance / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app(dict(config))
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]


def test_secret_key_creation_is_race_free(tmp_path):
    keys = {load_or_create_secret_key(tmp_path) for _ in range(3)}
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_empty_secret_key_file_is_an_error(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError):
        load_or_create_secret_key(tmp_path)
