"""Locale and time zone selection for Flask-Babel: Chinese by default, English per user."""
from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app
from flask_login import current_user

LOCALES = {"zh_CN": "简体中文", "en": "English"}


@cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def select_locale() -> Locale:
    """The logged-in user's chosen locale, else the default (zh_CN), parsed once per process (Flask-Babel
    would parse the code again on every request)."""
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return _parsed(current_user.locale)
    return _parsed(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    """Everything is shown in Asia/Shanghai."""
    return current_app.config["DISPLAY_TIMEZONE"]
