"""Session and request security: login loading, idle expiry, forced password change, CSRF and
expired-session handling for htmx, and the security headers sent on every response.

Baseline: the level-2 requirements of the multi-level protection scheme for identity and sessions
(idle timeout, lockout in :mod:`portal.auth.services`, no persistent login cookie).
"""
from __future__ import annotations

import time

from flask import Flask, Response, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from portal.extensions import db, login_manager
from portal.htmx import current_page_url, hx_redirect, is_htmx
from portal.models.user import User

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

#: Endpoints a user who must change their password may still reach.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "static"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session id is ``"<user id>:<session version>"``; a bumped version ends the session."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def login_url_for_current_page() -> str:
    """The login URL carrying the page to come back to (``next`` is validated on use)."""
    return url_for("auth.login", next=current_page_url())


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """htmx requests get 401 + ``HX-Redirect`` (never a login page swapped into a fragment)."""
    if is_htmx():
        return hx_redirect(login_url_for_current_page(), status=401)
    return redirect(login_url_for_current_page())


def _expire_idle_session() -> None:
    """Log out a session idle for longer than ``IDLE_TIMEOUT`` (checked on every request)."""
    if request.endpoint == "static":
        return
    now = time.time()
    last = session.get("_seen")
    limit = current_app.config["IDLE_TIMEOUT"].total_seconds()
    if current_user.is_authenticated and last is not None and now - last > limit:
        logout_user()
        session.clear()
        session["_expired"] = True
    if current_user.is_authenticated:
        session["_seen"] = now


def _force_password_change():
    if (current_user.is_authenticated and current_user.must_change_password and not current_user.is_demo
            and request.endpoint not in PASSWORD_CHANGE_ALLOWED):
        target = url_for("auth.change_password")
        return hx_redirect(target, status=200) if is_htmx() else redirect(target)
    return None


def _handle_csrf_error(error: CSRFError):
    """A failed CSRF check on an htmx request usually means the session is gone: send to login."""
    if is_htmx():
        if not current_user.is_authenticated:
            return hx_redirect(login_url_for_current_page(), status=401)
        response = Response("", status=400)
        response.headers["HX-Refresh"] = "true"
        return response
    if not current_user.is_authenticated:
        # The session (and its CSRF token) is gone: log in again, then back to the page the form was on.
        from portal.auth.services import safe_next
        back = request.form.get("next") if request.endpoint == "auth.login" else _referrer_path()
        return redirect(url_for("auth.login", next=safe_next(back)))
    from flask import render_template
    return render_template("errors/error.html", code=400, message=error.description), 400


def _referrer_path() -> str | None:
    """The path of a same-host ``Referer`` (the page a failed POST came from), else None."""
    from urllib.parse import urlsplit
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static" and (current_user.is_authenticated or "Cache-Control" not in headers):
        # Pages of a logged-in user show personal data: never store them in any cache.
        headers["Cache-Control"] = "no-store"
    if request.headers.get("HX-Request") or request.endpoint != "static":
        response.vary.update(("HX-Request", "HX-Request-Type", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    """Register the hooks and handlers on ``app``."""
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.before_request(_expire_idle_session)
    app.before_request(_force_password_change)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _handle_csrf_error)
