"""The dashboard (main.index): my work, red-risk cases, missing screening returns and charts.

Everything is computed through :mod:`portal.reports.services` on the user's own area
(:func:`~portal.reports.services.default_scope`) intersected with their dispute scope, so a village
cadre sees their village, a grid worker their grids, the county viewer the county.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, extract, func, select
from sqlalchemy.orm import selectinload

from portal.dictionaries import labels
from portal.extensions import db
from portal.models.dispute import CATEGORY, Dispute
from portal.models.user import User
from portal.permissions import can
from portal.reports import charts, services
from portal.scoping import dispute_scope
from portal.timeutil import local_today

#: Work tiles: (figure key, label, capability needed or None).
WORK = (
    ("to_accept", _l("To accept"), "dispute.accept"),
    ("overdue", _l("Overdue"), None),
    ("due_soon", _l("Due within 7 days"), None),
    ("pending_signature", _l("Awaiting signed scans"), "dispute.mediate"),
    ("followup", _l("Follow-ups due"), "dispute.mediate"),
    ("esc_waiting", _l("Escalations waiting for me"), "dispute.receive"),
)


def _last_12_months(today: date) -> list[tuple[int, int]]:
    out, year, month = [], today.year, today.month
    for _i in range(12):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _monthly(column, condition, scope: services.Scope, user: User, start: date, end: date) -> dict:
    """Counts per (year, month) of ``column`` in [start, end] for rows matching ``condition``."""
    y, m = extract("year", column), extract("month", column)
    stmt = select(y, m, func.count()).where(condition, column.between(start, end), services.scope_condition(scope),
                                            dispute_scope(user)).group_by(y, m)
    return {(int(a), int(b)): n for a, b, n in db.session.execute(stmt)}


def build(user: User, today: Optional[date] = None) -> dict:
    """All dashboard data for ``user``: ``work`` tiles, ``red`` cases, ``returns``, ``charts`` (SVG strings).

    About ten queries whatever the size of the area.
    """
    today = today or local_today()
    scope = services.default_scope(user)
    now = services.range_period(today, today)
    work = []
    for key, label, capability in WORK:
        if capability and not can(user, capability):
            continue
        spec = services.figure_spec(key, now, scope)
        condition = services.figure_filter(spec, user, today)
        count = db.session.scalar(select(func.count()).select_from(Dispute).where(condition, dispute_scope(user)))
        work.append({"key": key, "label": label, "count": count, "spec": spec})
    red = db.session.scalars(
        select(Dispute).where(services.figure_condition("red_open", now, today), services.scope_condition(scope),
                              dispute_scope(user)).options(selectinload(Dispute.village))
        .order_by(func.coalesce(Dispute.deadline_extended_to, Dispute.deadline), Dispute.id).limit(10)).all()
    red_total = db.session.scalar(select(func.count()).select_from(Dispute).where(
        services.figure_condition("red_open", now, today), services.scope_condition(scope), dispute_scope(user)))
    month = services.month_period(today.year, today.month)
    returns = services.return_status(scope, month, user)

    months = _last_12_months(today)
    start = date(months[0][0], months[0][1], 1)
    base = services._base()
    found = _monthly(Dispute.found_date, base, scope, user, start, today)
    mediated = _monthly(Dispute.accepted_date, and_(base, services._mediated_here()), scope, user, start, today)
    # Successes of each month's mediated cohort (by acceptance month, as in the report's column 5).
    success = _monthly(Dispute.accepted_date, and_(base, services._mediated_here(),
                                                   Dispute.result.in_(services.SUCCESS_RESULTS)), scope, user, start,
                       today)
    trend = charts.trend_chart([f"{m}月" if m != 1 else f"{y}年1月" for y, m in months],
                               [found.get(k, 0) for k in months], [mediated.get(k, 0) for k in months],
                               [success.get(k, 0) for k in months])
    ytd = services.range_period(date(today.year, 1, 1), today)
    t1 = services.compute_table1(scope, ytd, user, today)
    by_cat = dict(db.session.execute(select(Dispute.category, func.count()).where(
        services.figure_condition("found", ytd, today), services.scope_condition(scope), dispute_scope(user))
        .group_by(Dispute.category)).all())
    names = labels(CATEGORY)
    cats = sorted(((names.get(c, c), n) for c, n in by_cat.items() if n), key=lambda x: -x[1])
    category = charts.bar_chart([c for c, _n in cats], [n for _c, n in cats], f"{today.year}年以来排查发现纠纷（按类型）",
                                "category")
    rows = [r for r in t1["rows"] if r.values["found"] or len(t1["rows"]) <= 16]
    village = charts.bar_chart([r.label for r in rows], [r.values["found"] for r in rows],
                               f"{today.year}年以来排查发现纠纷（按{'镇' if scope.unit.level == 'COUNTY' else '村'}）",
                               "village")
    total = t1["total"].values
    shares = charts.share_chart([(label, total[key]) for key, label in services.FENGQIAO],
                                f"{today.year}年以来处置层级（枫桥经验）")
    return {"scope": scope, "work": work, "red": red, "red_total": red_total, "returns": returns, "month": month,
            "ytd": ytd, "fengqiao": [(label, total[key], total[f"{key}_share"],
                                      services.figure_spec(key, ytd, scope)) for key, label in services.FENGQIAO],
            "charts": {"trend": trend, "category": category, "village": village, "shares": shares},
            "red_spec": services.figure_spec("red_open", now, scope)}
