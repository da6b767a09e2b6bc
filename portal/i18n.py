"""Locale and time zone selection for Flask-Babel: Chinese by default, English per user."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

LOCALES = {"zh_CN": "简体中文", "en": "English"}


def select_locale() -> str:
    """The logged-in user's chosen locale, else the default (zh_CN)."""
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everything is shown in Asia/Shanghai."""
    return current_app.config["DISPLAY_TIMEZONE"]
