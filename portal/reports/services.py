"""Statistics of dispute work: the one service behind the monthly report, campaigns and the dashboard.

Every figure is defined once, as a SQL condition on :class:`Dispute` (:func:`figure_condition`). The
tables count with conditional ``SUM(CASE …)`` in a few ``GROUP BY`` queries, and the ledger filters
with the very same condition (``disputes.ledger?figure=<spec>``, see :func:`figure_filter`), so a
figure and the number of disputes its link lists cannot disagree.

Membership rules (domain.md 7; period = ``start``..``end``, inclusive local dates, Asia/Shanghai).
Voided disputes and unsubmitted drafts never count.

* ``found`` 排查发现数: ``found_date`` in the period.
* ``prevented`` 预防纠纷数: found in the period, never accepted for mediation (``accepted_date`` empty)
  and settled on the spot (status RESOLVED_ON_SPOT, or CLOSED/ARCHIVED without a failure result).
* ``mediated`` 调解数: ``accepted_date`` in the period, mediated at this level: not rejected, not
  referred out (status/result REFERRED), not handled by the county or a department
  (``handling_level`` COUNTY/DEPARTMENT: "counted once, at the level that finally mediates", 5.1).
  Split by ``source``: 主动 (INITIATIVE, GRID_REPORT or none), 申请 (APPLICATION), 委托移送 (others).
* Outcomes of the mediated cohort (columns 5–11: ``success``, ``written``, ``oral``, ``amount``,
  ``performed``, ``confirmed``): the disputes of ``mediated`` (accepted in the period, mediated at this
  level), counted by their current ``result`` / ``performance_status``. Success = result AGREED_WRITTEN
  or AGREED_ORAL (3.8); the amount is ``amount_involved`` of the successes, in 万元. Column 5 is thus
  a subset of column 4, as domain.md 7.1 requires for 调解成功率 = 5 ÷ 4 (842/869 = 96.9 %).
* Success rate 调解成功率 = success ÷ mediated, in table 1 per row and in table 2 per category (the
  category's successes among its mediated disputes). It never exceeds 100 %.
* Because the cohort's results change after the period ends (a case accepted on 31 October may
  conclude in November), a draft report shows the results known today; a submitted report is frozen
  (:class:`~portal.models.reports.ReportVersion` ``figures`` and PDF) and keeps the figures of its
  submission day. Re-opening it creates a new version with fresh figures.
* Prevention flags (3.11, columns 12–15, 件/人): disputes mediated at this level with ``resolved_date``
  in the period and the flag set. They stay dated by conclusion: no rate divides them by column 4, and
  a prevention is achieved (and the flag set) when the case concludes, so the month's report lists the
  preventions achieved in that month.
* ``transferred`` 上报/移交数: an escalation or referral (:class:`Transfer`) sent in the period; ``sent_at``
  is a UTC timestamp compared with the Shanghai-day bounds of :mod:`portal.timeutil`.
* ``open`` 在办数: found by the reference day and not concluded by it (the reference day is the
  period's end, or today while the period runs): status still open, or concluded
  (``resolved_date``/``closed_date``) after the reference day.
* ``overdue`` 超期未结数: open, with its deadline (extended if extended) before the reference day.
* Fengqiao measures (Part A item 8), over disputes found in the period: ``level_village`` handled at
  grid/village level, ``level_town`` at town level, ``passed_out`` passed to the county or out of the
  town (handling level COUNTY/DEPARTMENT, an escalation to the county, or a referral). The three
  partition ``found``.
* ``major`` (table 4): RED risk or a major flag, found by the reference day, open at it or concluded
  in the period.

Rates and shares are rounded half-up to one decimal with :class:`~decimal.Decimal`; amounts to two
decimals in 万元; zero prints "0"; an undefined rate (division by zero) prints "—".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any, Optional

from flask import abort, url_for
from sqlalchemy import (ColumnElement, and_, case, false, func, literal, not_, or_, select, text, true)

from portal.dictionaries import labels
from portal.extensions import db
from portal.models.dispute import (CATEGORY, DRAFT, MAJOR_FLAGGED, OPEN_STATUSES, RISK_LEVEL, VOIDED, Campaign,
                                   Dispute, ScreeningReturn, Transfer)
from portal.models.org import COUNTY, TOWN, VILLAGE, OrgUnit
from portal.models.reports import ACCEPTED_BASIS, BASIS_FIGURES, FOUND_BASIS, PREVENTION_CODES, StatsMonth
from portal.models.user import User
from portal.reports import summary
from portal.scoping import dispute_scope, visible_org_ids
from portal.timeutil import local_midnight_utc, local_today, month_range

# --------------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------------

MONTH, QUARTER, YEAR, RANGE = "MONTH", "QUARTER", "YEAR", "RANGE"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_RANGE_RE = re.compile(r"^(\d{8})-(\d{8})$")


@dataclass(frozen=True)
class Period:
    """A reporting period: inclusive local dates ``start``..``end`` and its token ``key``.

    Keys: ``2026-10`` (month), ``2026-Q4`` (quarter), ``2026`` (year), ``20261001-20261031`` (range,
    used for campaigns, cumulative and comparison windows).
    """

    kind: str
    start: date
    end: date
    key: str

    @property
    def label(self) -> str:
        """Chinese label as printed: 2026年10月, 2026年第四季度, 2026年, 2026年10月1日至10月31日."""
        if self.kind == MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == QUARTER:
            return f"{self.start.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        if self.kind == YEAR:
            return f"{self.start.year}年"
        end = f"{self.end.month}月{self.end.day}日" if self.end.year == self.start.year else \
            f"{self.end.year}年{self.end.month}月{self.end.day}日"
        return f"{self.start.year}年{self.start.month}月{self.start.day}日至{end}"


def month_period(year: int, month: int) -> Period:
    """The calendar month ``year``-``month``."""
    first, last = month_range(year, month)
    return Period(MONTH, first, last, f"{year}-{month:02d}")


def range_period(start: date, end: date) -> Period:
    """An arbitrary inclusive date range."""
    return Period(RANGE, start, end, f"{start:%Y%m%d}-{end:%Y%m%d}")


def parse_period(key: str) -> Period:
    """Parse a period token (see :class:`Period`). Raises ValueError on anything else."""
    key = (key or "").strip()
    if m := _MONTH_RE.match(key):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError("month out of range")
        return month_period(year, month)
    if m := _QUARTER_RE.match(key):
        year, q = int(m[1]), int(m[2])
        first = date(year, 3 * q - 2, 1)
        return Period(QUARTER, first, month_range(year, 3 * q)[1], f"{year}-Q{q}")
    if m := _YEAR_RE.match(key):
        year = int(m[1])
        return Period(YEAR, date(year, 1, 1), date(year, 12, 31), key)
    if m := _RANGE_RE.match(key):
        from datetime import datetime
        start, end = (datetime.strptime(m[i], "%Y%m%d").date() for i in (1, 2))
        if end < start:
            raise ValueError("end before start")
        return range_period(start, end)
    raise ValueError(f"not a period: {key!r}")


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def previous_period(period: Period) -> Period:
    """The period just before: previous month/quarter/year, or the same-length window before a range
    (环比 base)."""
    if period.kind == MONTH:
        prev = period.start - timedelta(days=1)
        return month_period(prev.year, prev.month)
    if period.kind == QUARTER:
        prev = period.start - timedelta(days=1)
        return parse_period(f"{prev.year}-Q{(prev.month - 1) // 3 + 1}")
    if period.kind == YEAR:
        return parse_period(str(period.start.year - 1))
    length = period.end - period.start
    end = period.start - timedelta(days=1)
    return range_period(end - length, end)


def same_period_last_year(period: Period) -> Period:
    """The same period one year earlier (同比 base)."""
    if period.kind == MONTH:
        return month_period(period.start.year - 1, period.start.month)
    if period.kind == QUARTER:
        return parse_period(f"{period.start.year - 1}-Q{(period.start.month - 1) // 3 + 1}")
    if period.kind == YEAR:
        return parse_period(str(period.start.year - 1))
    return range_period(_shift_years(period.start, -1), _shift_years(period.end, -1))


def year_to_date(period: Period) -> Period:
    """1 January of the period's end year up to the period's end (累计)."""
    return range_period(date(period.end.year, 1, 1), period.end)


def reference_day(period: Period, today: Optional[date] = None) -> date:
    """The day "open"/"overdue" are judged on: the period's end, or today while the period runs."""
    today = today or local_today()
    return min(period.end, today)


# --------------------------------------------------------------------------------------------------
# Scope: which unit a report covers, and its rows
# --------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One row of table 1: a village, the town-level row (镇本级), a town (county report) or the total."""

    token: str          # V<id>, L<town id>, T<id>, ALL
    label: str
    unit_id: Optional[int] = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """What a report covers: a town, a village, a county (its towns) or a campaign (its villages).

    ``token``: ``T<id>``, ``V<id>``, ``K<id>`` or ``C<campaign id>``.
    """

    unit: OrgUnit
    campaign: Optional[Campaign] = None

    @property
    def token(self) -> str:
        if self.campaign is not None:
            return f"C{self.campaign.id}"
        return {TOWN: "T", VILLAGE: "V", COUNTY: "K"}[self.unit.level] + str(self.unit.id)

    @property
    def town(self) -> Optional[OrgUnit]:
        return self.unit.ancestor(TOWN)


def parse_scope(token: str, user: User) -> Scope:
    """Resolve a scope token for ``user``; aborts 404 when it is unknown or outside the user's area."""
    m = re.match(r"^([TVKC])(\d+)$", token or "")
    if not m:
        abort(404)
    kind, ident = m[1], int(m[2])
    if kind == "C":
        campaign = db.session.get(Campaign, ident)
        if campaign is None or campaign.town_id not in visible_org_ids(user) and not _campaign_visible(campaign, user):
            abort(404)
        return Scope(campaign_unit(campaign, user), campaign)
    if ident not in visible_org_ids(user):
        abort(404)
    unit = db.session.get(OrgUnit, ident)
    if unit is None or unit.level != {"T": TOWN, "V": VILLAGE, "K": COUNTY}[kind]:
        abort(404)
    return Scope(unit)


def _campaign_visible(campaign: Campaign, user: User) -> bool:
    visible = set(visible_org_ids(user))
    return any(v.id in visible for v in campaign.villages)


def campaign_unit(campaign: Campaign, user: User) -> OrgUnit:
    """The unit a user's campaign report is about: the town, or the cadre's own village."""
    if campaign.town_id in visible_org_ids(user):
        return db.session.get(OrgUnit, campaign.town_id)
    visible = set(visible_org_ids(user))
    return next(v for v in campaign.villages if v.id in visible)


def default_scope(user: User) -> Scope:
    """The user's own area as a report scope (county, town or village; grid workers: their village)."""
    unit = user.org_unit
    if unit.level not in (COUNTY, TOWN, VILLAGE):
        unit = unit.ancestor(VILLAGE) or unit.ancestor(TOWN)
    return Scope(unit)


def scope_condition(scope: Scope) -> ColumnElement[bool]:
    """SQL condition for the disputes inside ``scope`` (before the user's own scope is applied)."""
    if scope.campaign is not None:
        village_ids = [v.id for v in scope.campaign.villages]
        if scope.unit.level == VILLAGE:
            village_ids = [i for i in village_ids if i == scope.unit.id]
        return Dispute.village_id.in_(village_ids) if village_ids else false()
    column = {TOWN: Dispute.town_id, VILLAGE: Dispute.village_id, COUNTY: Dispute.county_id}[scope.unit.level]
    return column == scope.unit.id


def scope_rows(scope: Scope, user: User) -> list[Row]:
    """The rows of table 1 for ``scope``, in order, without the total row.

    Town: every village of the town (in tree order) and 镇本级. Village: the village. County: its towns.
    Campaign: the campaign's villages. Only units visible to ``user`` are listed.
    """
    visible = set(visible_org_ids(user))
    if scope.campaign is not None:
        units = [v for v in scope.campaign.villages if v.id in visible and
                 (scope.unit.level != VILLAGE or v.id == scope.unit.id)]
        return [Row(f"V{v.id}", v.name, v.id) for v in units]
    if scope.unit.level == VILLAGE:
        return [Row(f"V{scope.unit.id}", scope.unit.name, scope.unit.id)]
    level = VILLAGE if scope.unit.level == TOWN else TOWN
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == scope.unit.id, OrgUnit.level == level,
                                                     OrgUnit.id.in_(visible)).order_by(OrgUnit.sort, OrgUnit.id))
    rows = [Row(f"{level[0]}{u.id}", u.name, u.id) for u in units]
    if scope.unit.level == TOWN:
        rows.append(Row(f"L{scope.unit.id}", "镇本级", scope.unit.id))
    return rows


def row_condition(token: str) -> ColumnElement[bool]:
    """SQL condition of a row token (``V<id>``, ``L<town id>``, ``T<id>``, ``ALL``). Raises ValueError."""
    if token == "ALL":
        return true()
    m = re.match(r"^([VLT])(\d+)$", token)
    if not m:
        raise ValueError(f"not a row: {token!r}")
    ident = int(m[2])
    if m[1] == "V":
        return Dispute.village_id == ident
    if m[1] == "T":
        return Dispute.town_id == ident
    return and_(Dispute.town_id == ident, Dispute.village_id.is_(None))


# --------------------------------------------------------------------------------------------------
# Figure definitions
# --------------------------------------------------------------------------------------------------

SUCCESS_RESULTS = ("AGREED_WRITTEN", "AGREED_ORAL")
PREVENTION_FLAGS = PREVENTION_CODES
INITIATIVE_SOURCES = ("INITIATIVE", "GRID_REPORT")
UPPER_LEVELS = ("COUNTY", "DEPARTMENT")
SUCCESS_PERFORMED = ("PERFORMED", "PERFORMED_IMMEDIATE")

#: Table 1 columns: (key, Chinese header). Flag columns come as 件/人 pairs.
TABLE1_COLUMNS = [
    ("rounds", "排查次数(次)"), ("found", "排查发现纠纷数"), ("prevented", "预防纠纷数"),
    ("mediated", "调解纠纷数"), ("src_initiative", "其中：主动调解"), ("src_application", "申请调解"),
    ("src_entrusted", "委托移送调解"), ("success", "调解成功数"), ("success_rate", "调解成功率(%)"),
    ("written", "书面协议数"), ("oral", "口头协议数"), ("amount", "协议涉及金额(万元)"),
    ("performed", "履行数"), ("confirmed", "司法确认数"),
    ("PREVENT_CRIME", "防止民转刑"), ("PREVENT_GROUP_PETITION", "防止群体性上访"),
    ("PREVENT_GROUP_FIGHT", "防止群体性械斗"), ("PREVENT_SUICIDE", "防止因纠纷引起自杀"),
    ("transferred", "上报/移交数"), ("open", "在办数"), ("overdue", "超期未结数"),
]
FENGQIAO = [("level_village", "小事不出村（网格、村级处置）"), ("level_town", "大事不出镇（镇级处置）"),
            ("passed_out", "上交县级或移出本镇")]


def _base() -> ColumnElement[bool]:
    return Dispute.status.not_in((DRAFT, VOIDED))


def _between(column, period: Period) -> ColumnElement[bool]:
    return column.between(period.start, period.end)


def _mediated_here() -> ColumnElement[bool]:
    return and_(Dispute.status.not_in(("NOT_ACCEPTED", "REFERRED")),
                func.coalesce(Dispute.result, "").not_in(("NOT_ACCEPTED", "REFERRED")),
                Dispute.handling_level.not_in(UPPER_LEVELS))


def _flag(code: str):
    return Dispute.prevention_flags[code].as_integer()


def _transferred_in(period: Period) -> ColumnElement[bool]:
    start = local_midnight_utc(period.start)
    end = local_midnight_utc(period.end + timedelta(days=1))
    # An uncorrelated IN: the database builds the (small) set of transferred disputes once instead of
    # probing the transfer table for every dispute row.
    return Dispute.id.in_(select(Transfer.dispute_id).where(Transfer.sent_at >= start, Transfer.sent_at < end))


def _passed_out() -> ColumnElement[bool]:
    up = Dispute.id.in_(select(Transfer.dispute_id).where(
        or_(Transfer.kind == "REFER", and_(Transfer.kind == "ESCALATE", Transfer.to_level.in_(UPPER_LEVELS)))))
    # coalesce: a NULL result must not turn the whole condition (and its negation) into NULL
    return or_(Dispute.handling_level.in_(UPPER_LEVELS), Dispute.status == "REFERRED",
               func.coalesce(Dispute.result, "") == "REFERRED", up)


def _open_at(day: date) -> ColumnElement[bool]:
    concluded = func.coalesce(Dispute.resolved_date, Dispute.closed_date)
    return and_(Dispute.found_date <= day,
                or_(Dispute.status.in_(OPEN_STATUSES), concluded > day))


def _is_major() -> ColumnElement[bool]:
    """RED risk or a major flag, as an id set read from two indexes (risk level; the partial index of
    flagged disputes, migration 0009) instead of a test on every dispute of the area."""
    red = select(Dispute.id).where(Dispute.risk_level == "RED")
    flagged = select(Dispute.id).where(text(MAJOR_FLAGGED))
    return Dispute.id.in_(red.union(flagged))


def figure_condition(key: str, period: Period, today: Optional[date] = None) -> ColumnElement[bool]:
    """The SQL condition of figure ``key`` over ``period`` (see the module docstring for the rules).

    Includes the base rule (no drafts, no voided disputes). Raises KeyError for an unknown key.
    ``today`` (local date, default :func:`~portal.timeutil.local_today`) bounds "open"/"overdue".
    """
    ref = reference_day(period, today)
    found = _between(Dispute.found_date, period)
    mediated = and_(_between(Dispute.accepted_date, period), _mediated_here())
    concluded = and_(_between(Dispute.resolved_date, period), _mediated_here())  # prevention flags only
    success = and_(mediated, Dispute.result.in_(SUCCESS_RESULTS))
    conditions: dict[str, Any] = {
        "found": lambda: found,
        "prevented": lambda: and_(found, Dispute.accepted_date.is_(None), or_(
            Dispute.status == "RESOLVED_ON_SPOT",
            and_(Dispute.status.in_(("CLOSED", "ARCHIVED")),
                 or_(Dispute.result.is_(None), Dispute.result.in_(SUCCESS_RESULTS))))),
        "mediated": lambda: mediated,
        "src_initiative": lambda: and_(mediated, or_(Dispute.source.is_(None),
                                                     Dispute.source.in_(INITIATIVE_SOURCES))),
        "src_application": lambda: and_(mediated, Dispute.source == "APPLICATION"),
        "src_entrusted": lambda: and_(mediated, Dispute.source.not_in(INITIATIVE_SOURCES + ("APPLICATION",))),
        "success": lambda: success,
        "written": lambda: and_(mediated, Dispute.result == "AGREED_WRITTEN"),
        "oral": lambda: and_(mediated, Dispute.result == "AGREED_ORAL"),
        "amount": lambda: success,
        "performed": lambda: and_(mediated, Dispute.performance_status.in_(SUCCESS_PERFORMED)),
        "confirmed": lambda: and_(mediated, Dispute.performance_status == "JUDICIALLY_CONFIRMED"),
        "transferred": lambda: _transferred_in(period),
        "open": lambda: _open_at(ref),
        "overdue": lambda: and_(_open_at(ref), func.coalesce(Dispute.deadline_extended_to, Dispute.deadline) < ref),
        "level_village": lambda: and_(found, not_(_passed_out()), Dispute.handling_level.in_(("GRID", "VILLAGE"))),
        "level_town": lambda: and_(found, not_(_passed_out()), Dispute.handling_level == "TOWN"),
        "passed_out": lambda: and_(found, _passed_out()),
        "major": lambda: and_(_is_major(), Dispute.found_date <= ref,
                              or_(_open_at(ref), _between(func.coalesce(Dispute.resolved_date, Dispute.closed_date),
                                                          period))),
    }
    deadline = func.coalesce(Dispute.deadline_extended_to, Dispute.deadline)
    conditions.update({  # dashboard work lists, judged on the reference day
        "to_accept": lambda: Dispute.status == "REPORTED",
        "due_soon": lambda: and_(Dispute.status.in_(OPEN_STATUSES), deadline.between(ref, ref + timedelta(days=7))),
        "pending_signature": lambda: Dispute.status == "AGREED_PENDING_SIGNATURE",
        "followup": lambda: Dispute.status.in_(("AGREED", "PERFORMING", "NOT_PERFORMED")),
        "red_open": lambda: and_(Dispute.risk_level == "RED", Dispute.status.in_(OPEN_STATUSES)),
    })
    for code in PREVENTION_FLAGS:
        conditions[code] = (lambda code=code: and_(concluded, _flag(code).is_not(None)))
    return and_(_base(), conditions[key]())


def escalations_waiting(unit_id: int) -> ColumnElement[bool]:
    """Disputes with an escalation to ``unit_id`` that nobody has received or returned yet."""
    return Dispute.id.in_(select(Transfer.dispute_id).where(Transfer.kind == "ESCALATE", Transfer.status == "PENDING",
                                                            Transfer.to_org_id == unit_id))


# --------------------------------------------------------------------------------------------------
# Figure specs: the link from a figure to the ledger
# --------------------------------------------------------------------------------------------------

def figure_spec(key: str, period: Period, scope: Scope, row: str = "ALL", category: str = "") -> str:
    """The ledger filter token of one figure: ``key|period|scope|row|category``."""
    return "|".join((key, period.key, scope.token, row, category))


def figure_filter(spec: str, user: User, today: Optional[date] = None) -> ColumnElement[bool]:
    """Condition for ``disputes.ledger?figure=<spec>``: exactly the disputes the figure counts.

    ``ledger_query`` applies it (and the user's scope) when the ``figure`` argument is present.
    Raises ValueError for a malformed spec; aborts 404 for a scope outside ``user``'s area.
    """
    parts = (spec or "").split("|")
    if len(parts) != 5:
        raise ValueError("malformed figure spec")
    key, period_key, scope_token, row, category = parts
    period = parse_period(period_key)
    scope = parse_scope(scope_token, user)
    try:
        if key == "esc_waiting":
            condition = and_(_base(), escalations_waiting(scope.unit.id))
        else:
            condition = figure_condition(key, period, today)
    except KeyError:
        raise ValueError(f"unknown figure {key!r}") from None
    condition = and_(condition, scope_condition(scope), row_condition(row))
    if category:
        condition = and_(condition, Dispute.category == category)
    return condition


def ledger_link(key: str, period: Period, scope: Scope, row: str = "ALL", category: str = "") -> str:
    """URL of the ledger filtered to the disputes of one figure."""
    return url_for("disputes.ledger", figure=figure_spec(key, period, scope, row, category))


def figure_ids(spec: str, user: User, today: Optional[date] = None) -> list[int]:
    """Ids of the disputes a figure counts, within ``user``'s scope (used by tests and exports)."""
    stmt = select(Dispute.id).where(figure_filter(spec, user, today), dispute_scope(user)).order_by(Dispute.id)
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------

ONE_PLACE, TWO_PLACES = Decimal("0.1"), Decimal("0.01")


def rate(numerator: int, denominator: int) -> Optional[Decimal]:
    """``numerator ÷ denominator × 100`` rounded half-up to one decimal; None when the base is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def change_rate(current: int, base: int) -> Optional[Decimal]:
    """``(current − base) ÷ base × 100`` (环比/同比), one decimal; None when the base is 0."""
    if not base:
        return None
    return (Decimal(current - base) * 100 / Decimal(base)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def wan_yuan(amount: Decimal | int | None) -> Decimal:
    """Yuan → 万元 rounded half-up to two decimals."""
    return (Decimal(amount or 0) / 10000).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def fmt(value: Any) -> str:
    """Print a figure: zero as "0" (never blank), Decimals without a trailing ".0" on zero, None as "—"."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        if value == 0:
            return "0"
        return f"{value:f}"
    return str(value)


# --------------------------------------------------------------------------------------------------
# Computing the tables
# --------------------------------------------------------------------------------------------------

COUNT_KEYS = ["found", "prevented", "mediated", "src_initiative", "src_application", "src_entrusted", "success",
              "written", "oral", "performed", "confirmed", *PREVENTION_FLAGS, "transferred", "open", "overdue",
              "level_village", "level_town", "passed_out"]


def _sum_if(condition, value=1):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _relevant(period: Period, ref: date) -> ColumnElement[bool]:
    """Cheap pre-filter: disputes that can count in any figure of ``period``."""
    return or_(_between(Dispute.found_date, period), _between(Dispute.accepted_date, period),
               _between(Dispute.resolved_date, period), _open_at(ref), _transferred_in(period))


def _rounds(scope: Scope, period: Period, group_by_town: bool) -> dict[Optional[int], int]:
    """Screening rounds (排查次数) per village (or per town) from the filed returns of the period."""
    stmt = select(ScreeningReturn.village_id, OrgUnit.parent_id, func.sum(ScreeningReturn.rounds)) \
        .join(OrgUnit, OrgUnit.id == ScreeningReturn.village_id)
    if scope.campaign is not None:
        stmt = stmt.where(ScreeningReturn.campaign_id == scope.campaign.id)
    else:
        months = _months(period)
        stmt = stmt.where(ScreeningReturn.campaign_id.is_(None),
                          or_(*[and_(ScreeningReturn.year == y, ScreeningReturn.month == m) for y, m in months]))
    stmt = stmt.group_by(ScreeningReturn.village_id, OrgUnit.parent_id)
    result: dict[Optional[int], int] = {}
    for village_id, town_id, rounds in db.session.execute(stmt):
        key = town_id if group_by_town else village_id
        result[key] = result.get(key, 0) + int(rounds or 0)
    return result


def _months(period: Period) -> list[tuple[int, int]]:
    months, day = [], date(period.start.year, period.start.month, 1)
    while day <= period.end:
        months.append((day.year, day.month))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


def _table1_from_summary(scope: Scope, period: Period, ref: date, by_town: bool) -> dict:
    """Table 1's figures per row for whole months: the cohort figures from the monthly summary
    (:mod:`portal.reports.summary`), ``transferred``/``open``/``overdue`` (not dated by a month) live.
    Returns ``{group id: {key: value}}`` (group: village, NULL for 镇本级, or town for a county)."""
    months = summary.ym_between(period.start, period.end)
    group = StatsMonth.town_id if by_town else StatsMonth.village_id
    columns = [_sum_if(StatsMonth.basis == FOUND_BASIS, StatsMonth.n).label("found"),
               _sum_if(StatsMonth.basis == ACCEPTED_BASIS, StatsMonth.n).label("mediated")]
    columns += [func.sum(getattr(StatsMonth, c)).label(c.upper() if c.startswith("prevent_") and
                                                        not c.endswith("_persons") else c)
                for c in chain.from_iterable(BASIS_FIGURES.values())]
    found: dict = {}
    for r in db.session.execute(select(group.label("g"), *columns).where(
            summary.unit_condition(scope.unit), months).group_by(group)):
        values = r._asdict()
        for code in PREVENTION_FLAGS:
            values[f"{code}_persons"] = values.pop(f"{code.lower()}_persons")
        found[values.pop("g")] = values
    dispute_group = Dispute.town_id if by_town else Dispute.village_id
    live = select(dispute_group.label("g"), *[_sum_if(figure_condition(k, period, ref)).label(k)
                                              for k in ("transferred", "open", "overdue")]) \
        .where(scope_condition(scope), _base(), or_(_open_at(ref), _transferred_in(period))) \
        .group_by(dispute_group)
    for r in db.session.execute(live):
        found.setdefault(r.g, {}).update(transferred=r.transferred, open=r.open, overdue=r.overdue)
    return found


def compute_table1(scope: Scope, period: Period, user: User, today: Optional[date] = None) -> dict:
    """Table 1 (domain.md 7.1) plus the Fengqiao shares for ``scope`` and ``period`` as seen by ``user``.

    Whole months: two GROUP BY queries (monthly summary, open/overdue/transferred live) and one over
    screening returns; other periods count the disputes live in one GROUP BY. Returns
    ``{"rows": [Row…], "total": Row}``; each row's ``values`` holds ints for counts, ``amount``
    (Decimal 万元), ``<FLAG>_persons`` ints, ``success_rate`` and the three Fengqiao shares
    (Decimal or None).
    """
    ref = reference_day(period, today)
    rows = scope_rows(scope, user)
    by_town = scope.unit.level == COUNTY and scope.campaign is None
    if period.kind != RANGE and scope.campaign is None and summary.usable(user, scope.unit):
        found = _table1_from_summary(scope, period, ref, by_town)
    else:
        group = Dispute.town_id if by_town else Dispute.village_id
        columns = [_sum_if(figure_condition(k, period, today)).label(k) for k in COUNT_KEYS]
        columns.append(_sum_if(figure_condition("success", period, today),
                               func.coalesce(Dispute.amount_involved, 0)).label("amount_yuan"))
        for code in PREVENTION_FLAGS:
            columns.append(_sum_if(figure_condition(code, period, today),
                                   func.coalesce(_flag(code), 0)).label(f"{code}_persons"))
        stmt = select(group.label("g"), *columns).where(
            scope_condition(scope), dispute_scope(user), _base(), _relevant(period, ref)).group_by(group)
        found = {r.g: r._asdict() for r in db.session.execute(stmt)}
    rounds = _rounds(scope, period, by_town)
    total = Row("ALL", "合计")
    keys = COUNT_KEYS + [f"{c}_persons" for c in PREVENTION_FLAGS]
    for row in rows:
        data = found.get(None if row.token.startswith("L") else row.unit_id) or {}
        row.values = {k: int(data.get(k) or 0) for k in keys}
        row.values["amount_yuan"] = Decimal(data.get("amount_yuan") or 0)
        row.values["rounds"] = 0 if row.token.startswith("L") else rounds.get(row.unit_id, 0)
    total.values = {k: sum(r.values[k] for r in rows) for k in keys + ["rounds"]}
    total.values["amount_yuan"] = sum((r.values["amount_yuan"] for r in rows), Decimal(0))
    for row in rows + [total]:
        v = row.values
        v["amount"] = wan_yuan(v["amount_yuan"])
        v["success_rate"] = rate(v["success"], v["mediated"])
        for key, _label in FENGQIAO:
            v[f"{key}_share"] = rate(v[key], v["found"])
    return {"rows": rows, "total": total}


def compute_table2(scope: Scope, period: Period, user: User, today: Optional[date] = None) -> dict:
    """Table 2 (domain.md 7.2): per category in dictionary order, then 合计.

    ``count`` = mediated in the period, ``share`` = count ÷ total, ``success`` = successes among
    those ``count`` disputes and ``success_rate`` = success ÷ count (domain.md 7.1 column 6),
    ``prev`` (previous period) and ``mom`` (环比), ``last_year`` and ``yoy`` (同比), ``cumulative`` =
    mediated from 1 January to the period's end. One GROUP BY query, over the monthly summary
    (:mod:`portal.reports.summary`) for months, quarters and years, over the disputes otherwise.
    """
    windows = {"count": period, "prev": previous_period(period), "last_year": same_period_last_year(period),
               "cumulative": year_to_date(period)}
    earliest = min(p.start for p in windows.values())
    if period.kind != RANGE and scope.campaign is None and summary.usable(user, scope.unit):
        # whole months: the monthly summary (basis A: n = mediated at this level, success)
        def months(p: Period):
            return summary.ym_between(p.start, p.end)
        columns = [_sum_if(months(p), StatsMonth.n).label(k) for k, p in windows.items()]
        columns.append(_sum_if(months(period), StatsMonth.success).label("success"))
        stmt = select(StatsMonth.category.label("c"), *columns).where(
            StatsMonth.basis == ACCEPTED_BASIS, summary.unit_condition(scope.unit),
            summary.ym_between(earliest, period.end)).group_by(StatsMonth.category)
    else:
        columns = [_sum_if(figure_condition("mediated", p, today)).label(k) for k, p in windows.items()]
        columns.append(_sum_if(figure_condition("success", period, today)).label("success"))
        stmt = select(Dispute.category.label("c"), *columns).where(
            scope_condition(scope), dispute_scope(user), _base(),
            Dispute.accepted_date.between(earliest, period.end)
        ).group_by(Dispute.category)
    data = {r.c: r for r in db.session.execute(stmt)}
    names = dict(labels(CATEGORY))
    for code in data:
        names.setdefault(code, code)
    keys = list(windows) + ["success"]
    rows = []
    for code, label in names.items():
        r = data.get(code)
        rows.append({"code": code, "label": label, **{k: int(getattr(r, k) or 0) if r else 0 for k in keys}})
    total = {"code": "", "label": "合计", **{k: sum(r[k] for r in rows) for k in keys}}
    for r in rows + [total]:
        r["share"] = rate(r["count"], total["count"])
        r["success_rate"] = rate(r["success"], r["count"])
        r["mom"] = change_rate(r["count"], r["prev"])
        r["yoy"] = change_rate(r["count"], r["last_year"])
    return {"rows": rows, "total": total, "windows": windows}


#: Table 4 lists at most this many major cases; the rest are counted ("另有N件，详见台账") and listed by
#: the ledger link of the ``major`` figure. A town with thousands of red-risk cases would otherwise print
#: hundreds of pages that nobody reads, and a frozen report would store them all.
MAJOR_LIMIT = 100


def _risk_rank():
    return case((Dispute.risk_level == "RED", 0), (Dispute.risk_level == "YELLOW", 1), else_=2)


def compute_major(scope: Scope, period: Period, user: User, today: Optional[date] = None,
                  limit: Optional[int] = None) -> tuple[list[dict], int]:
    """Table 4 (domain.md 7.4): major cases with party names masked per 9.3 (surname + 某).

    Returns ``(rows, total)``: at most ``limit`` (default :data:`MAJOR_LIMIT`) rows, most urgent first
    (risk RED before YELLOW, then the effective deadline, earliest first, cases without a deadline last,
    then found date), and the number of all major cases of the period (a window count in the same
    query). Each row is a dict: ``id``, ``number``, ``village``, ``category``, ``parties``, ``summary``, ``risk``, ``leader``, ``unit``, ``measures``,
    ``deadline``, ``progress``, ``remarks``.
    """
    from sqlalchemy.orm import selectinload

    from portal.validation import mask_name_for_report

    deadline = func.coalesce(Dispute.deadline_extended_to, Dispute.deadline)
    # COUNT(*) OVER (): the number of all major cases comes with the first rows, in the same scan.
    stmt = select(Dispute, func.count().over().label("total")).where(
        figure_condition("major", period, today), scope_condition(scope), dispute_scope(user)) \
        .order_by(_risk_rank(), deadline.is_(None), deadline, Dispute.found_date, Dispute.id) \
        .limit(limit or MAJOR_LIMIT).options(selectinload(Dispute.parties), selectinload(Dispute.village), selectinload(Dispute.responsible_leader))
    categories, risks, measures = labels(CATEGORY), labels(RISK_LEVEL), labels("measure")
    result, total = [], 0
    for d, total in db.session.execute(stmt):
        result.append({
            "id": d.id, "number": d.case_no or f"{d.ledger_year}-{d.ledger_serial:04d}",
            "village": d.village.name if d.village else "镇本级",
            "category": categories.get(d.category, d.category),
            "parties": "、".join(dict.fromkeys(mask_name_for_report(p.name) for p in d.parties)),
            "summary": (d.summary or d.title or "")[:80],
            "risk": risks.get(d.risk_level, d.risk_level),
            "leader": d.responsible_leader.display_name if d.responsible_leader else "",
            "unit": d.responsible_unit or "",
            "measures": "、".join(measures.get(m, m) for m in (d.measures or [])),
            "deadline": d.effective_deadline.isoformat() if d.effective_deadline else "",
            "progress": STATUS_LABELS.get(d.status, d.status),
            "remarks": d.remarks or "",
        })
    return result, total


#: Chinese status labels for printed reports (domain.md 5.1).
STATUS_LABELS = {
    "REPORTED": "待受理", "NOT_ACCEPTED": "不予受理", "RESOLVED_ON_SPOT": "当场化解", "ACCEPTED": "已受理",
    "MEDIATING": "调解中", "AGREED_PENDING_SIGNATURE": "协议待签署", "AGREED": "已达成协议", "PERFORMING": "履行中",
    "PERFORMED": "已履行", "NOT_PERFORMED": "未履行", "FAILED": "调解不成", "WITHDRAWN": "撤回",
    "ESCALATED": "已上报上级", "REFERRED": "已移交", "CLOSED": "已结案", "ARCHIVED": "已归档",
}


# --------------------------------------------------------------------------------------------------
# Screening returns (排查情况 / 零报告)
# --------------------------------------------------------------------------------------------------

FILED, ZERO, MISSING = "FILED", "ZERO", "MISSING"


def return_filter(period: Optional[Period], campaign: Optional[Campaign]):
    """Condition selecting the returns of a month (``period`` must be a month) or of a campaign."""
    if campaign is not None:
        return ScreeningReturn.campaign_id == campaign.id
    return and_(ScreeningReturn.campaign_id.is_(None), ScreeningReturn.year == period.start.year,
                ScreeningReturn.month == period.start.month)


def return_status(scope: Scope, period: Period, user: User) -> list[dict]:
    """Per village of ``scope``: its return for the month (or campaign) and how many disputes it found.

    Returns ``[{"village": OrgUnit, "return": ScreeningReturn|None, "found": int, "state": FILED|ZERO|MISSING}]``.
    A missing return is MISSING, never a zero: only an explicit 零报告 is ZERO. For quarters and years
    (no monthly return applies) the list is empty. Two queries.
    """
    if scope.campaign is None and period.kind != MONTH:
        return []
    villages = [r for r in scope_rows(scope, user) if r.token.startswith("V")]
    if not villages:
        return []
    ids = [r.unit_id for r in villages]
    returns = {r.village_id: r for r in db.session.scalars(
        select(ScreeningReturn).where(ScreeningReturn.village_id.in_(ids), return_filter(period, scope.campaign)))}
    if scope.campaign is None and summary.usable(user, scope.unit):  # a month: the monthly summary
        stmt = select(StatsMonth.village_id, func.sum(StatsMonth.n)).where(
            StatsMonth.basis == FOUND_BASIS, StatsMonth.village_id.in_(ids),
            summary.ym_between(period.start, period.end)).group_by(StatsMonth.village_id)
    else:
        stmt = select(Dispute.village_id, func.count()).where(
            figure_condition("found", period), Dispute.village_id.in_(ids), dispute_scope(user)) \
            .group_by(Dispute.village_id)
    counts = {village_id: int(n) for village_id, n in db.session.execute(stmt)}
    out = []
    for row in villages:
        ret = returns.get(row.unit_id)
        state = MISSING if ret is None else (ZERO if ret.zero_report else FILED)
        out.append({"village": db.session.get(OrgUnit, row.unit_id), "return": ret,
                    "found": counts.get(row.unit_id, 0), "state": state, "token": row.token})
    return out


def file_return(*, user: User, village: OrgUnit, period: Optional[Period], campaign: Optional[Campaign],
                rounds: int, zero_report: bool, note: str | None) -> ScreeningReturn:
    """Create or update a village's return for a month (``period``) or a campaign. Flushes.

    Raises ValueError (translatable message) when a 零报告 is claimed although disputes were found,
    or when nothing was found and the zero report is not confirmed.
    """
    from flask_babel import gettext as _

    window = range_period(campaign.start_date, campaign.end_date) if campaign is not None else period
    found = db.session.scalar(select(func.count()).select_from(Dispute).where(
        figure_condition("found", window), Dispute.village_id == village.id))
    if zero_report and found:
        raise ValueError(_("%(count)s disputes were registered for this village in the period; a zero report "
                           "is not possible.", count=found))
    if not zero_report and not found:
        raise ValueError(_("No disputes were registered for this village in the period: tick "
                           "\"nothing found\" to file a zero report."))
    ret = db.session.scalar(select(ScreeningReturn).where(ScreeningReturn.village_id == village.id,
                                                         return_filter(period, campaign)))
    if ret is None:
        ret = ScreeningReturn(village_id=village.id, campaign_id=campaign.id if campaign else None,
                              year=None if campaign else period.start.year,
                              month=None if campaign else period.start.month)
        db.session.add(ret)
    ret.rounds, ret.zero_report, ret.note, ret.filed_by_id = rounds, zero_report, note or None, user.id
    db.session.flush()
    return ret


# --------------------------------------------------------------------------------------------------
# The whole report: figures as JSON (frozen on submission) and the narrative
# --------------------------------------------------------------------------------------------------

def build_figures(scope: Scope, period: Period, user: User, today: Optional[date] = None) -> dict:
    """All tables of a report as a JSON-serialisable dict (strings for display, ints for counts).

    Keys: ``title``, ``period``, ``scope``, ``table1`` (rows with ``cells`` = [{text, link}]),
    ``table2``, ``major`` (at most :data:`MAJOR_LIMIT` rows), ``major_total`` (all major cases),
    ``major_link`` (their ledger figure spec), ``returns``, ``fengqiao``, ``chart``. Each cell's ``link``
    is a ledger ``figure`` spec (None for screening rounds). The same dict renders the page, the PDF
    and the Excel file, so a submitted version prints exactly what was frozen.
    """
    t1 = compute_table1(scope, period, user, today)
    t2 = compute_table2(scope, period, user, today)
    major, major_total = compute_major(scope, period, user, today)
    returns = return_status(scope, period, user)

    def cells(row: Row) -> list[dict]:
        out = []
        for key, _label in TABLE1_COLUMNS:
            v = row.values
            if key == "rounds":
                out.append({"text": fmt(v["rounds"]), "link": None})
            elif key == "success_rate":
                out.append({"text": fmt(v["success_rate"]), "link": None})
            elif key == "amount":
                out.append({"text": fmt(v["amount"]), "link": figure_spec("success", period, scope, row.token)})
            elif key in PREVENTION_FLAGS:
                spec = figure_spec(key, period, scope, row.token)
                out.append({"text": fmt(v[key]), "link": spec})
                out.append({"text": fmt(v[f"{key}_persons"]), "link": spec})
            else:
                out.append({"text": fmt(v[key]), "link": figure_spec(key, period, scope, row.token)})
        return out

    def fq(row: Row) -> list[dict]:
        return [{"count": row.values[k], "share": fmt(row.values[f"{k}_share"]),
                 "link": figure_spec(k, period, scope, row.token)} for k, _l in FENGQIAO]

    table1 = [{"label": r.label, "token": r.token, "cells": cells(r), "fengqiao": fq(r),
               "counts": {k: r.values[k] for k in ("found", "mediated", "success", "open", "overdue")}}
              for r in t1["rows"] + [t1["total"]]]
    windows = t2["windows"]
    table2 = []
    for r in t2["rows"] + [t2["total"]]:
        cat = r["code"]
        table2.append({"label": r["label"], "code": cat, "cells": [
            {"text": fmt(r["count"]), "link": figure_spec("mediated", period, scope, "ALL", cat)},
            {"text": fmt(r["share"]), "link": None},
            {"text": fmt(r["success"]), "link": figure_spec("success", period, scope, "ALL", cat)},
            {"text": fmt(r["success_rate"]), "link": None},
            {"text": fmt(r["prev"]), "link": figure_spec("mediated", windows["prev"], scope, "ALL", cat)},
            {"text": fmt(r["mom"]), "link": None},
            {"text": fmt(r["last_year"]), "link": figure_spec("mediated", windows["last_year"], scope, "ALL", cat)},
            {"text": fmt(r["yoy"]), "link": None},
            {"text": fmt(r["cumulative"]), "link": figure_spec("mediated", windows["cumulative"], scope, "ALL", cat)},
        ], "count": r["count"], "prev": r["prev"], "last_year": r["last_year"]})
    town = scope.town
    unit_name = scope.unit.name if scope.unit.level != VILLAGE else \
        (f"{town.name}{scope.unit.name}" if town else scope.unit.name)
    if scope.campaign is not None:
        title = f"{unit_name}“{scope.campaign.name}”矛盾纠纷排查化解情况统计表"
    else:
        title = f"{unit_name}{period.label}矛盾纠纷排查化解情况统计表"
    total = t1["total"].values
    return {
        "title": title, "unit_name": unit_name, "period": period.key, "period_label": period.label,
        "scope": scope.token, "campaign": scope.campaign.name if scope.campaign else None,
        "ref_day": reference_day(period, today).isoformat(),
        "table1": table1, "table2": table2, "major": major, "major_total": major_total,
        "major_link": figure_spec("major", period, scope),
        "returns": [{"village": r["village"].name, "state": r["state"], "found": r["found"],
                     "rounds": r["return"].rounds if r["return"] else None,
                     "filed_at": r["return"].updated_at.isoformat() if r["return"] else None} for r in returns],
        "totals": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in total.items()},
        "prev_totals": {"mediated": t2["total"]["prev"], "last_year": t2["total"]["last_year"]},
    }


def _cell_text(row: dict, key: str) -> str:
    """The printed text of table-1 column ``key`` in a ``build_figures`` row (flag columns take two cells)."""
    index = 0
    for column, _label in TABLE1_COLUMNS:
        if column == key:
            return row["cells"][index]["text"]
        index += 2 if column in PREVENTION_FLAGS else 1
    raise KeyError(key)


def default_narrative(figures: dict) -> str:
    """The narrative of domain.md 7.5, pre-filled: key numbers, change rates, the biggest movers.

    Takes a :func:`build_figures` dict (fresh or frozen); the success rate is the one printed in the
    total row of table 1 (success ÷ mediated), so text and table always agree.
    """
    t = figures["totals"]
    rows = [r for r in figures["table2"][:-1]]
    total2 = figures["table2"][-1]
    rounds = f"共开展矛盾纠纷排查{t['rounds']}次，" if t["rounds"] else ""
    success_rate = _cell_text(figures["table1"][-1], "success_rate")
    lines = [
        f"{figures['period_label']}，{figures['unit_name']}{rounds}排查发现矛盾纠纷{t['found']}件，"
        f"受理调解{t['mediated']}件，其中调解成功{t['success']}件"
        + (f"，调解成功率{success_rate}%" if success_rate != fmt(None) else "")
        + f"；协议涉及金额{fmt(Decimal(t['amount']))}万元。"
    ]
    changes = []
    mom = change_rate(total2["count"], total2["prev"])
    yoy = change_rate(total2["count"], total2["last_year"])
    if mom is not None:
        changes.append(f"调解数环比{'上升' if mom >= 0 else '下降'}{fmt(abs(mom))}%")
    if yoy is not None:
        changes.append(f"同比{'上升' if yoy >= 0 else '下降'}{fmt(abs(yoy))}%")
    if changes:
        lines.append("，".join(changes) + "。")
    movers = sorted(rows, key=lambda r: abs(r["count"] - r["prev"]), reverse=True)
    movers = [r for r in movers if r["count"] != r["prev"]][:2]
    if movers:
        lines.append("变化较大的类型：" + "；".join(
            f"{r['label']}{r['count']}件（上期{r['prev']}件）" for r in movers) + "。")
    top = sorted(rows, key=lambda r: r["count"], reverse=True)
    if top and top[0]["count"]:
        lines.append(f"数量最多的是{top[0]['label']}，占{top[0]['cells'][1]['text']}%。")
    missing = [r["village"] for r in figures["returns"] if r["state"] == MISSING]
    if missing:
        lines.append(f"截至报表生成时，{'、'.join(missing)}尚未报送排查情况。")
    lines.append(f"在办{t['open']}件，其中超期未结{t['overdue']}件；重大矛盾纠纷{figures.get('major_total', len(figures['major']))}件。"
                 "下一步将继续加强排查化解，确保小事不出村、大事不出镇、矛盾不上交。")
    return "\n".join(lines)
