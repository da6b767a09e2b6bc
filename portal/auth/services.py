"""Authentication rules: password policy, hashing, lockout, safe redirects.

Baseline: GB/T 22239-2019 (等保 2.0) level 2 — identity authentication with complexity rules, lockout
after repeated failures, session timeout. Passwords are hashed with scrypt (werkzeug.security).
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.audit import audit
from portal.extensions import db
from portal.models.user import User
from portal.timeutil import now_utc

MIN_PASSWORD_LENGTH = 8
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^A-Za-z0-9]"))


class PasswordPolicyError(ValueError):
    """The password breaks the policy; ``str(error)`` is the message for the user."""


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise :class:`PasswordPolicyError` unless ``password`` has ≥ 8 characters from ≥ 3 of the
    classes lower case, upper case, digits, symbols, and does not contain the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(_("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if sum(1 for pattern in _CLASSES if pattern.search(password)) < 3:
        raise PasswordPolicyError(_("Use at least three of: lower-case letters, upper-case letters, digits, symbols."))
    if username and username.lower() in password.lower():
        raise PasswordPolicyError(_("The password must not contain the user name."))


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Check the policy, hash and store ``password``; ends the user's other sessions.

    Raises :class:`PasswordPolicyError`.
    """
    check_password_policy(password, user.username)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change
    user.password_changed_at = now_utc()
    user.session_version = (user.session_version or 1) + 1
    user.failed_logins = 0
    user.locked_until = None


_DUMMY_HASH = generate_password_hash("dummy-password-for-timing")


class LoginError(Exception):
    """Login refused; ``str(error)`` is a message that does not reveal whether the user exists."""


def authenticate(username: str, password: str) -> User:
    """Check credentials and the lockout; returns the user or raises :class:`LoginError`.

    After ``LOGIN_MAX_FAILURES`` (5) consecutive failures the account is locked for
    ``LOGIN_LOCK_MINUTES`` (15). The counter is stored in the database, so it survives restarts.
    Every outcome is audited; the caller commits.
    """
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    now = now_utc()
    generic = _("Wrong user name or password.")
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same work as for a real account (no timing oracle)
        audit("LOGIN_FAILED", detail={"username": username[:40]}, username=username[:40])
        raise LoginError(generic)
    if user.locked_until and user.locked_until > now:
        audit("LOGIN_LOCKED", entity="user", entity_id=user.id, user=user)
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginError(_("Too many failed attempts. The account is locked; try again in %(n)d minutes.", n=minutes))
    if not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        audit("LOGIN_FAILED", entity="user", entity_id=user.id, user=user)
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            audit("LOCKOUT", entity="user", entity_id=user.id, user=user)
            raise LoginError(_("Too many failed attempts. The account is locked for %(n)d minutes.",
                               n=current_app.config["LOGIN_LOCK_MINUTES"]))
        raise LoginError(generic)
    if not user.active:
        audit("LOGIN_FAILED", entity="user", entity_id=user.id, user=user, detail="inactive")
        raise LoginError(_("This account has been deactivated."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit("LOGIN", entity="user", entity_id=user.id, user=user)
    return user


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Refuses absolute URLs, scheme-relative ``//x``, back-slash tricks ``/\\x``, ``javascript:`` and
    anything with control characters.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
