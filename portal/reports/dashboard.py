"""The dashboard (main.index): my work, red-risk cases, missing screening returns and charts.

Everything is computed through :mod:`portal.reports.services` on the user's own area
(:func:`~portal.reports.services.default_scope`) intersected with their dispute scope, so a village
cadre sees their village, a grid worker their grids, the county viewer the county.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import selectinload

from portal.dictionaries import labels
from portal.extensions import db
from portal.models.dispute import CATEGORY, OPEN_STATUSES, Dispute
from portal.models.org import COUNTY
from portal.models.user import User
from portal.permissions import can
from portal.models.reports import ACCEPTED_BASIS, FOUND_BASIS, StatsMonth
from portal.reports import charts, services, summary
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


def _work_counts(user: User, scope: services.Scope, now: services.Period, today: date, keys: list[str]) -> dict:
    """Counts of the work tiles ``keys`` and of ``red_open`` in one query (``SUM(CASE …)``).

    Every tile except ``esc_waiting`` (counted alone: it hangs off the transfer table) is a subset of the
    disputes open today or concluded after today (:func:`services.figure_condition` ``open``), so that
    is the pre-filter; each tile keeps its own figure condition, the one its ledger link applies.
    """
    keys = [k for k in keys if k != "esc_waiting"] + ["red_open"]
    columns = [services._sum_if(services.figure_condition(k, now, today)).label(k) for k in keys]
    prefilter = or_(Dispute.status.in_(OPEN_STATUSES), Dispute.resolved_date > today, Dispute.closed_date > today)
    row = db.session.execute(select(*columns).select_from(Dispute).where(
        services._base(), prefilter, services.scope_condition(scope), dispute_scope(user))).one()
    return {k: int(getattr(row, k) or 0) for k in keys}


def _area_counts(user: User, scope: services.Scope, start: date, ytd: services.Period, today: date) -> dict:
    """Disputes found from ``start`` to ``today`` (the trend's first month on), from the monthly summary
    (:mod:`portal.reports.summary`) or, where it does not answer, one GROUP BY over the disputes:

    ``found`` per (year, month), and since 1 January per row of table 1 (village, 镇本级 or town),
    per category and the three Fengqiao counts per row. Returns ``{"found": {(y, m): n},
    "rows": {group id: {key: n}}, "category": {code: n}}``.
    """
    by_town = scope.unit.level == COUNTY
    keys = [k for k, _label in services.FENGQIAO]
    if summary.usable(user, scope.unit):
        group = StatsMonth.town_id if by_town else StatsMonth.village_id
        stmt = select((StatsMonth.ym // 100).label("y"), (StatsMonth.ym % 100).label("m"), group.label("g"),
                      StatsMonth.category.label("c"), func.sum(StatsMonth.n).label("n"),
                      *[func.sum(getattr(StatsMonth, k)).label(k) for k in keys]).where(
            StatsMonth.basis == FOUND_BASIS, summary.unit_condition(scope.unit), summary.ym_between(start, today)) \
            .group_by(StatsMonth.ym, group, StatsMonth.category)
    else:
        group = Dispute.town_id if by_town else Dispute.village_id
        y, m = extract("year", Dispute.found_date), extract("month", Dispute.found_date)
        columns = [services._sum_if(services.figure_condition(k, ytd, today)).label(k) for k in keys]
        stmt = select(y.label("y"), m.label("m"), group.label("g"), Dispute.category.label("c"),
                      func.count().label("n"), *columns).where(
            services._base(), Dispute.found_date.between(start, today), services.scope_condition(scope),
            dispute_scope(user)).group_by(y, m, group, Dispute.category)
    found: dict = {}
    rows: dict = {}
    category: dict = {}
    for r in db.session.execute(stmt):
        month = (int(r.y), int(r.m))
        found[month] = found.get(month, 0) + int(r.n)
        if month < (ytd.start.year, ytd.start.month):
            continue
        values = rows.setdefault(r.g, dict.fromkeys(["found", *keys], 0))
        values["found"] += int(r.n)
        for k in keys:
            values[k] += int(getattr(r, k) or 0)
        category[r.c] = category.get(r.c, 0) + int(r.n)
    return {"found": found, "rows": rows, "category": category}


def _mediated_by_month(user: User, scope: services.Scope, start: date, today: date) -> tuple[dict, dict]:
    """Disputes mediated at this level per month of acceptance, and the successes among them (the
    report's columns 4 and 5 per month): from the monthly summary, or one GROUP BY on the accepted date."""
    if summary.usable(user, scope.unit):
        y, m = (StatsMonth.ym // 100).label("y"), (StatsMonth.ym % 100).label("m")
        stmt = select(y, m, func.sum(StatsMonth.n).label("n"), func.sum(StatsMonth.success).label("success")) \
            .where(StatsMonth.basis == ACCEPTED_BASIS, summary.unit_condition(scope.unit),
                   summary.ym_between(start, today)).group_by(StatsMonth.ym)
    else:
        y, m = extract("year", Dispute.accepted_date), extract("month", Dispute.accepted_date)
        success = services._sum_if(Dispute.result.in_(services.SUCCESS_RESULTS)).label("success")
        stmt = select(y.label("y"), m.label("m"), func.count().label("n"), success).where(
            services._base(), Dispute.accepted_date.between(start, today), services._mediated_here(),
            services.scope_condition(scope), dispute_scope(user)).group_by(y, m)
    mediated, successes = {}, {}
    for r in db.session.execute(stmt):
        mediated[(int(r.y), int(r.m))] = int(r.n)
        successes[(int(r.y), int(r.m))] = int(r.success or 0)
    return mediated, successes


def build(user: User, today: Optional[date] = None) -> dict:
    """All dashboard data for ``user``: ``work`` tiles, ``red`` cases, ``returns``, ``charts`` (SVG strings).

    A fixed number of queries whatever the size of the area (tests/test_query_counts.py): the work
    tiles in one ``SUM(CASE …)``, the 12-month trend and the year's village/category/Fengqiao figures
    in one GROUP BY over the found date and one over the accepted date. The figures are the report's
    (:func:`services.figure_condition`), so each tile and chart agrees with the ledger it links to.
    """
    today = today or local_today()
    scope = services.default_scope(user)
    now = services.range_period(today, today)
    tiles = [(key, label) for key, label, capability in WORK if not capability or can(user, capability)]
    counts = _work_counts(user, scope, now, today, [key for key, _label in tiles])
    work = []
    for key, label in tiles:
        spec = services.figure_spec(key, now, scope)
        if key == "esc_waiting":
            count = db.session.scalar(select(func.count()).select_from(Dispute).where(
                services.figure_filter(spec, user, today), dispute_scope(user)))
        else:
            count = counts[key]
        work.append({"key": key, "label": label, "count": count, "spec": spec})
    red = db.session.scalars(
        select(Dispute).where(services.figure_condition("red_open", now, today), services.scope_condition(scope),
                              dispute_scope(user)).options(selectinload(Dispute.village))
        .order_by(func.coalesce(Dispute.deadline_extended_to, Dispute.deadline), Dispute.id).limit(10)).all()
    red_total = counts["red_open"]
    month = services.month_period(today.year, today.month)
    returns = services.return_status(scope, month, user)

    months = _last_12_months(today)
    start = date(months[0][0], months[0][1], 1)
    ytd = services.range_period(date(today.year, 1, 1), today)
    area = _area_counts(user, scope, start, ytd, today)
    mediated, success = _mediated_by_month(user, scope, start, today)
    found = area["found"]
    trend = charts.trend_chart([f"{m}月" if m != 1 else f"{y}年1月" for y, m in months],
                               [found.get(k, 0) for k in months], [mediated.get(k, 0) for k in months],
                               [success.get(k, 0) for k in months])
    names = labels(CATEGORY)
    cats = sorted(((names.get(c, c), n) for c, n in area["category"].items() if n), key=lambda x: -x[1])
    category = charts.bar_chart([c for c, _n in cats], [n for _c, n in cats], f"{today.year}年以来排查发现纠纷（按类型）",
                                "category")
    keys = ["found"] + [k for k, _label in services.FENGQIAO]
    rows = services.scope_rows(scope, user)
    for row in rows:
        data = area["rows"].get(None if row.token.startswith("L") else row.unit_id, {})
        row.values = {k: data.get(k, 0) for k in keys}
    total = {k: sum(r.values[k] for r in rows) for k in keys}
    shown = [r for r in rows if r.values["found"] or len(rows) <= 16]
    village = charts.bar_chart([r.label for r in shown], [r.values["found"] for r in shown],
                               f"{today.year}年以来排查发现纠纷（按{'镇' if scope.unit.level == 'COUNTY' else '村'}）",
                               "village")
    shares = charts.share_chart([(label, total[key]) for key, label in services.FENGQIAO],
                                f"{today.year}年以来处置层级（枫桥经验）")
    return {"scope": scope, "work": work, "red": red, "red_total": red_total, "returns": returns, "month": month,
            "ytd": ytd, "fengqiao": [(label, total[key], services.rate(total[key], total["found"]),
                                      services.figure_spec(key, ytd, scope)) for key, label in services.FENGQIAO],
            "charts": {"trend": trend, "category": category, "village": village, "shares": shares},
            "red_spec": services.figure_spec("red_open", now, scope)}
