"""Login, logout, lockout, password policy, forced and voluntary password change, open redirects."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.services import PasswordPolicyError, check_password_policy, safe_next
from portal.extensions import db
from portal.models.user import AuditLog, User
from portal.timeutil import now_utc
from tests.conftest import DEMO_PASSWORD


def audit_actions(username: str) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.username == username)
                                   .order_by(AuditLog.id)))


def test_login_page_renders(client, zh_text):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text
    assert zh_text("Log in") in response.text
    assert 'name="username"' in response.text


def test_login_succeeds_and_is_audited(client, auth, user):
    response = auth.login("zhongxin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/villages")
    assert home.status_code == 200
    assert "西坪村" in home.text
    assert user("zhongxin").last_login_at is not None
    assert audit_actions("zhongxin") == ["LOGIN"]


def test_wrong_password_shows_error_in_place(client, auth, user):
    response = auth.login("zhongxin", "wrong-password", next="/villages")
    assert response.status_code == 422
    assert 'value="zhongxin"' in response.text  # what was typed is kept
    assert 'value="/villages"' in response.text
    assert user("zhongxin").failed_logins == 1
    assert audit_actions("zhongxin") == ["LOGIN_FAILED"]


def test_unknown_user_gets_the_same_message(client, auth, zh_text):
    unknown = auth.login("nobody", "whatever")
    known = auth.login("zhongxin", "whatever")
    assert unknown.status_code == known.status_code == 422
    message = zh_text("Wrong user name or password.")
    assert message in unknown.text and message in known.text
    assert db.session.scalar(select(AuditLog).where(AuditLog.username == "nobody")).action == "LOGIN_FAILED"


def test_logout_ends_the_session(client, auth):
    auth.login("zhongxin")
    response = auth.logout()
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.get("/villages").status_code == 302
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    assert audit_actions("zhongxin") == ["LOGIN", "LOGOUT"]


def test_logout_is_post_only(client, auth):
    auth.login("zhongxin")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/villages").status_code == 200


def test_lockout_after_five_failures_counts_in_database(client, auth, user, zh_text):
    for attempt in range(1, 5):
        auth.login("cun03", "wrong")
        assert user("cun03").failed_logins == attempt
        assert user("cun03").locked_until is None
    response = auth.login("cun03", "wrong")
    assert zh_text("Too many failed attempts. The account is locked for %(n)d minutes.", n=15) in response.text
    locked = user("cun03")
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - now_utc() <= timedelta(minutes=15)
    # Even the right password is refused while locked.
    response = auth.login("cun03")
    assert response.status_code == 422
    assert client.get("/villages").status_code == 302
    assert audit_actions("cun03")[-3:] == ["LOGIN_FAILED", "LOCKOUT", "LOGIN_LOCKED"]


def test_lockout_expires_after_fifteen_minutes(client, auth, user):
    for _ in range(5):
        auth.login("cun03", "wrong")
    locked = user("cun03")
    locked.locked_until = now_utc() - timedelta(seconds=1)  # the 15 minutes are over
    db.session.commit()
    assert auth.login("cun03").status_code == 302
    assert client.get("/villages").status_code == 200
    assert user("cun03").locked_until is None
    assert user("cun03").failed_logins == 0


def test_lock_still_running_one_minute_before_expiry(client, auth, user):
    locked = user("cun03")
    locked.locked_until = now_utc() + timedelta(minutes=1)
    db.session.commit()
    assert auth.login("cun03").status_code == 422


def test_deactivated_account_cannot_log_in(client, auth, user):
    user("cun03").active = False
    db.session.commit()
    response = auth.login("cun03")
    assert response.status_code == 422
    assert client.get("/villages").status_code == 302


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "https://evil.example/", "http://evil.example",
    "javascript:alert(1)", "%2F%2Fevil.example", " /villages", "\t//evil.example", "/\x00x", "/\r\nx",
    "JAVASCRIPT:alert(1)", "evil.example", "",
])
def test_open_redirects_go_home(client, auth, target):
    response = auth.login("zhongxin", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/villages", "/villages/3?x=1"])
def test_next_on_this_site_is_followed(client, auth, target):
    response = auth.login("zhongxin", next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["//x", "/\\x", "https://x", "javascript:alert(1)", "%2F%2Fx", " /x", "\x01/x"])
def test_safe_next_refuses(target):
    assert safe_next(target) is None


def test_login_page_for_a_logged_in_user_goes_on(client, auth):
    auth.login("zhongxin")
    response = client.get("/auth/login?next=/villages")
    assert response.headers["Location"] == "/villages"


@pytest.mark.parametrize("password, ok", [
    ("Short1!", False),            # 7 characters
    ("alllowercase", False),       # one class
    ("lowercase123", False),       # two classes
    ("Lowercase123", True),        # three classes
    ("lower-case-123", True),      # lower, symbol, digit
    ("UPPER lower !", True),       # upper, lower, symbol
    ("Zhongxin-2026", False),      # contains the user name
])
def test_password_policy(password, ok):
    if ok:
        check_password_policy(password, "zhongxin")
    else:
        with pytest.raises(PasswordPolicyError):
            check_password_policy(password, "zhongxin")


def test_passwords_are_hashed_with_scrypt(app, user):
    from portal.auth.services import set_password
    account = user("zhongxin")
    set_password(account, "New-Secret-2026")
    assert account.password_hash.startswith("scrypt:")
    assert "New-Secret-2026" not in account.password_hash


def _change(client, current, new, confirm=None):
    return client.post("/auth/password", data={"current_password": current, "new_password": new,
                                               "confirm": confirm or new})


def test_change_own_password(client, auth, user):
    auth.login("zhongxin")
    response = _change(client, DEMO_PASSWORD, "New-Secret-2026")
    assert response.status_code == 302
    assert client.get("/villages").status_code == 200  # still logged in with the new session version
    auth.logout()
    assert auth.login("zhongxin").status_code == 422
    assert auth.login("zhongxin", "New-Secret-2026").status_code == 302
    assert "PASSWORD_CHANGED" in audit_actions("zhongxin")


@pytest.mark.parametrize("current, new, confirm, message", [
    ("wrong", "New-Secret-2026", None, "The current password is wrong."),
    (DEMO_PASSWORD, "weak", None, "At least %(n)d characters."),
    (DEMO_PASSWORD, "New-Secret-2026", "Other-Secret-2026", "The two passwords differ."),
])
def test_change_password_errors_in_place(client, auth, zh_text, current, new, confirm, message):
    auth.login("zhongxin")
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    assert zh_text(message, n=8) in response.text


def test_password_change_ends_other_sessions(app, client, auth):
    auth.login("zhongxin")
    other = app.test_client()
    other.post("/auth/login", data={"username": "zhongxin", "password": DEMO_PASSWORD})
    assert other.get("/villages").status_code == 200
    _change(client, DEMO_PASSWORD, "New-Secret-2026")
    assert other.get("/villages").status_code == 302


def test_admin_created_user_must_change_password_first(client, auth, user, zh_text):
    auth.login("admin")
    response = client.post("/admin/users/new", data={
        "username": "wang", "display_name": "王某", "role": "VILLAGE_CADRE",
        "org_unit_id": user("cun03").org_unit_id, "password": "Start-Pass-2026", "confirm": "Start-Pass-2026"})
    assert response.status_code == 302
    auth.logout()
    response = auth.login("wang", "Start-Pass-2026", next="/villages")
    assert response.headers["Location"] == "/auth/password"
    # Every other page sends the user back to the password form, htmx requests included.
    assert client.get("/villages").headers["Location"] == "/auth/password"
    assert client.get("/villages", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/auth/password"
    assert zh_text("Please set your own password before you continue.") in client.get("/auth/password").text
    assert _change(client, "Start-Pass-2026", "Own-Pass-2026!").status_code == 302
    assert client.get("/villages").status_code == 200
    assert user("wang").must_change_password is False


def test_demo_accounts_are_not_forced_to_change(client, auth, user, zh_text):
    assert user("cun03").must_change_password is False and user("cun03").is_demo
    auth.login("cun03")
    page = client.get("/villages")
    assert page.status_code == 200
    assert zh_text("Demo account: demo data only, do not enter real cases.") in page.text


def test_preferences_switch_to_english(client, auth, user):
    auth.login("zhongxin")
    assert client.post("/auth/preferences", data={"locale": "en"}).status_code == 302
    assert user("zhongxin").locale == "en"
    assert "Log out" in client.get("/villages").text
