"""Template helpers and error pages shared by every feature.

Filters: ``local_dt`` (UTC → Asia/Shanghai), ``cn_date`` (2026年3月1日, GB/T 9704-2012 7.3.5),
``mask_id`` / ``mask_phone`` (domain.md 9.3). Globals: ``can`` (permissions), ``nav_items``; every template's
``gettext`` is bound to the request's catalog once per render (:func:`template_context`).
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, render_template, request
from flask_babel import get_locale, get_translations, gettext as _, lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

from portal.htmx import add_vary, is_partial
from portal.permissions import can
from portal.timeutil import local_today, to_local

ERROR_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to do this."),
    404: _l("This page does not exist or is not in your area."),
    409: _l("This record was changed by someone else."),
    413: _l("The file is too large."),
    500: _l("Something went wrong on the server. Nothing you saved was lost; please try again."),
    503: _l("The system is busy; nothing was saved. Please try again."),
}


def local_dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware UTC datetime in Asia/Shanghai with the ``strftime`` pattern ``fmt`` (numeric
    fields only, the same in every locale); empty string for None."""
    if value is None:
        return ""
    return to_local(value).strftime(fmt)


def cn_date(value: date | datetime | None) -> str:
    """``2026年3月1日`` (no zero padding); datetimes are converted to Shanghai first."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def render_error(code: int):
    """Render the error page, or a small fragment for an htmx partial request."""
    from flask import current_app
    message = str(ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))
    template = "errors/_error.html" if is_partial() else "errors/error.html"
    if code == 500:
        from portal.extensions import db
        db.session.rollback()
        current_app.logger.exception("Unhandled error on %s", request.path)
    return add_vary(current_app.make_response((render_template(template, code=code, message=message), code)))


def handle_operational_error(error):
    """A database error that reached the view: roll back, then answer.

    SQLite's "database is locked" (the write lock stayed taken longer than ``SQLITE_BUSY_MS``) is not
    a bug but a busy moment: 503 with "The system is busy; nothing was saved. Please try again." and
    ``Retry-After``. An htmx request gets the small fragment, put at the top of ``#main``
    (``HX-Retarget``/``HX-Reswap``) so the form and everything typed into it stay on the page. Any
    other database error is a 500 as before. Takes the ``sqlalchemy.exc.OperationalError``.
    """
    from flask import current_app

    from portal.dialect import is_lock_timeout, reads_only_from_now
    from portal.extensions import db
    from portal.htmx import is_htmx
    if not is_lock_timeout(error):
        return render_error(500)
    db.session.rollback()
    reads_only_from_now()  # the page below reloads the user: without waiting for the lock again
    current_app.logger.warning("database locked on %s %s: answered 503", request.method, request.path)
    response = render_error(503)
    response.headers["Retry-After"] = "5"
    if is_htmx():
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "afterbegin"
    return response


#: Main menu: (endpoint, lazy label, capability or None). Entries whose endpoint is not registered
#: (a feature not installed) or whose capability the user lacks are left out.
NAV = (
    ("main.index", _l("Home"), None),
    ("disputes.ledger", _l("Ledger"), "dispute.view"),
    ("disputes.new", _l("Register"), "dispute.register"),
    ("disputes.inbox", _l("Inbox"), "dispute.receive"),
    ("reports.index", _l("Reports"), "report.view"),
    ("ledger_io.index", _l("Import / export"), "ledger.export"),
    ("admin.index", _l("Administration"), "org.manage"),
)


def nav_items() -> list[tuple[str, str, str]]:
    """The main-menu entries for the current user: ``[(endpoint, url, translated label)]``.

    The menu depends only on the app, the catalog, the user's role and the script root, so each
    combination is built once and kept (in ``app.extensions``), not on every page.
    """
    from flask import current_app, url_for
    from flask_login import current_user
    role = current_user.role if getattr(current_user, "is_authenticated", False) else None
    cache = current_app.extensions.setdefault("portal_nav", {})
    key = (get_translations(), role, request.script_root)
    items = cache.get(key)
    if items is None:
        items = cache[key] = [(endpoint, url_for(endpoint), str(label)) for endpoint, label, capability in NAV
                              if endpoint in current_app.view_functions
                              and (capability is None or can(current_user, capability))]
    return items


def template_gettext(translations):
    """The templates' ``gettext`` (what ``_()`` calls) bound to one catalog: the same result as
    Flask-Babel's (Jinja's new-style gettext: autoescaped, always %-formatted) without looking the locale
    and catalog up again on each call of the page."""
    @pass_context
    def gettext(context, string, /, **variables):
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables
    return gettext


def template_context() -> dict:
    """Context processor: ``gettext`` bound to the request's catalog (see :func:`template_gettext`)."""
    return {"gettext": template_gettext(get_translations())}


def init_app(app: Flask) -> None:
    """Register filters, globals and error handlers."""
    from portal import validation

    app.add_template_filter(local_dt)
    app.add_template_filter(cn_date)
    app.add_template_filter(validation.mask_id, "mask_id")
    app.add_template_filter(validation.mask_phone, "mask_phone")
    app.add_template_global(can)
    app.add_template_global(local_today)
    app.add_template_global(nav_items)
    app.add_template_global(get_locale)
    app.context_processor(template_context)

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, lambda error, code=code: render_error(code))
    from sqlalchemy.exc import OperationalError
    app.register_error_handler(OperationalError, handle_operational_error)
