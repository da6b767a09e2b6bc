"""Ledger (台账) queries: request arguments → a scoped, filtered, sorted ``select(Dispute)``.

:func:`ledger_query` is the one entry point, shared by the ledger page, the reports' drill-down links
and the Excel export. Supported arguments (all optional, repeatable where it makes sense):

* ``village``, ``grid``, ``campaign`` — ids; ``ids`` — dispute ids (comma-separated or repeated);
* ``category``, ``risk``, ``handling_level``, ``channel``, ``result`` — dictionary / enum codes;
* ``status`` — state codes or groups (``open``, ``done``; see forms.STATUS_GROUPS). Voided disputes
  are left out unless ``status=VOIDED`` is asked for;
* ``found_from``/``found_to``, ``accepted_from``/``accepted_to``, ``resolved_from``/``resolved_to`` —
  inclusive dates (2026-10-01, 2026年10月1日 …);
* ``overdue=1``, ``due_soon=1`` (deadline within :data:`DUE_SOON_DAYS`), ``major=1`` (red risk or a
  major criterion, domain.md 7.4), ``escalated=1``, ``referred=1``;
* ``q`` — free text over party names, ID numbers, phones, case/ledger numbers, titles and summaries
  (normalised like ``Dispute.search_text``; ``%`` and ``_`` are literal);
* ``sort`` — ``found``, ``deadline``, ``risk``, ``case_no``, with a ``-`` prefix for descending
  (default ``-found``); ``page`` — 1-based.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Mapping, Optional

from sqlalchemy import String, and_, bindparam, case, cast, func, not_, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from werkzeug.datastructures import MultiDict

from portal.dialect import text_search
from portal.dictionaries import choices, labels
from portal.disputes.forms import STATUS_GROUPS
from portal.disputes.services import search_key
from portal.extensions import db
from portal.models.dispute import (CATEGORY, CHANNEL, ESCALATE, ESCALATED, OPEN_STATUSES, REFER, REFERRED,
                                   RISK_LEVEL, VOIDED, Campaign, Dispute, Party, Transfer)
from portal.models.org import GRID, TOWN, VILLAGE, OrgUnit
from portal.models.user import GRID_WORKER, User
from portal.scoping import dispute_scope, scoped_disputes
from portal.timeutil import local_today
from portal.validation import InvalidValue, normalize_phone, parse_cn_date

PER_PAGE = 20
DUE_SOON_DAYS = 7
SORTS = ("found", "deadline", "risk", "case_no")
DEFAULT_SORT = "-found"
DATE_ARGS = ("found_from", "found_to", "accepted_from", "accepted_to", "resolved_from", "resolved_to")
LIST_ARGS = ("category", "status", "risk", "handling_level", "channel", "result")
FLAG_ARGS = ("overdue", "due_soon", "major", "escalated", "referred")
MAX_IDS = 1000
#: The pager counts the matching rows only this far (more: "more than 10,000"), so that a page of a
#: county-sized ledger does not count every row; a page further on counts as far as it needs.
COUNT_CAP = 10_000


def _int(value: Any) -> Optional[int]:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@dataclass
class LedgerArgs:
    """Cleaned ledger arguments. ``errors`` maps an argument name to a message for bad dates;
    ``raw`` keeps the non-empty original arguments (for links that change one of them)."""

    village: Optional[int] = None
    grid: Optional[int] = None
    campaign: Optional[int] = None
    ids: list[int] = field(default_factory=list)
    lists: dict[str, list[str]] = field(default_factory=dict)
    dates: dict[str, Optional[date]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    q: str = ""
    figure: str = ""  # a report figure spec (portal.reports.services.figure_filter)
    sort: str = DEFAULT_SORT
    page: int = 1
    errors: dict[str, Any] = field(default_factory=dict)
    raw: MultiDict = field(default_factory=MultiDict)

    def url_args(self, **changes: Any) -> dict[str, Any]:
        """The current arguments with ``changes`` applied (None removes one), for ``url_for``.
        Changing anything but ``page`` goes back to page 1."""
        args = {key: self.raw.getlist(key) for key in self.raw}
        if "page" not in changes:
            args.pop("page", None)
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = value
        return args

    def has_filters(self) -> bool:
        """True when any filter (not sort or page) is set."""
        return any(key not in ("sort", "page") for key in self.raw)


def parse_ledger_args(args: Mapping[str, Any]) -> LedgerArgs:
    """Clean request arguments (a MultiDict or a plain dict). Unknown values never raise: bad ids
    are ignored, bad dates are reported in ``errors`` and ignored."""
    if not isinstance(args, MultiDict):
        args = MultiDict([(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, (list, tuple)) else [vs])])
    raw = MultiDict([(k, v) for k, v in args.items(multi=True) if str(v).strip() != ""])
    result = LedgerArgs(raw=raw)
    result.village, result.grid, result.campaign = (_int(raw.get(name)) for name in ("village", "grid", "campaign"))
    for value in raw.getlist("ids"):
        result.ids.extend(i for i in (_int(part) for part in str(value).split(",")) if i)
    result.ids = result.ids[:MAX_IDS]
    for name in LIST_ARGS:
        result.lists[name] = [str(v).strip()[:40] for v in raw.getlist(name)]
    for name in DATE_ARGS:
        result.dates[name] = None
        if raw.get(name):
            try:
                result.dates[name] = parse_cn_date(raw.get(name))
            except InvalidValue as error:
                result.errors[name] = error.message
    for name in FLAG_ARGS:
        result.flags[name] = raw.get(name) in ("1", "true", "on", "yes")
    result.q = str(raw.get("q", ""))[:100]
    result.figure = str(raw.get("figure", ""))[:200]
    sort = str(raw.get("sort", DEFAULT_SORT))
    result.sort = sort if sort.lstrip("-") in SORTS else DEFAULT_SORT
    result.page = min(_int(raw.get("page")) or 1, 100_000)
    return result


def _effective_deadline():
    return func.coalesce(Dispute.deadline_extended_to, Dispute.deadline)


def _text_condition(q: str):
    key = search_key(q)
    if not key:
        return None
    keys = {key}
    phone = normalize_phone(q)
    if phone and phone.replace("-", "").isdigit():
        keys.add(search_key(phone))
    return or_(*(text_search(Dispute.id, Dispute.search_text, k) for k in keys))


def _order(sort: str) -> list:
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "deadline":
        key = _effective_deadline()
        order = [key.is_(None), key.desc() if descending else key.asc()]
    elif name == "risk":
        ranks = {code: index for index, code in enumerate(labels(RISK_LEVEL))}
        key = case(ranks, value=Dispute.risk_level, else_=-1) if ranks else Dispute.risk_level
        return [key.desc() if descending else key.asc(), Dispute.found_date.desc(), Dispute.id.desc()]
    elif name == "case_no":
        order = [Dispute.case_no.is_(None), Dispute.case_year.desc() if descending else Dispute.case_year.asc(),
                 Dispute.case_no.desc() if descending else Dispute.case_no.asc()]
    else:
        order = [Dispute.found_date.desc() if descending else Dispute.found_date.asc()]
    return order + [Dispute.id.desc() if descending else Dispute.id.asc()]


@dataclass
class _Segment:
    """A run of rows of one sort that an index returns in order: extra condition (or None) and ORDER BY."""

    where: Any
    order: list


def _segments(sort: str) -> list[_Segment]:
    """Split ``sort`` into index-ordered segments. The ledger's pages walk the segments in turn; each
    ORDER BY matches an index of models.dispute._ledger_indexes exactly."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")

    def direction(column):
        return column.desc() if descending else column.asc()

    if name == "risk":  # dictionary order of the levels; codes outside the dictionary rank first (-1)
        codes = list(labels(RISK_LEVEL))
        newest = [Dispute.found_date.desc(), Dispute.id.desc()]
        runs = [_Segment(Dispute.risk_level.not_in(codes), newest)]
        runs += [_Segment(Dispute.risk_level == code, newest) for code in codes]
        return runs[::-1] if descending else runs
    if name == "deadline":
        key = _effective_deadline()
        return [_Segment(key.is_not(None), [direction(key), direction(Dispute.id)]),
                _Segment(key.is_(None), [direction(Dispute.id)])]
    if name == "case_no":
        return [_Segment(Dispute.case_no.is_not(None),
                         [direction(Dispute.case_year), direction(Dispute.case_no), direction(Dispute.id)]),
                _Segment(Dispute.case_no.is_(None), [direction(Dispute.id)])]
    return [_Segment(None, [direction(Dispute.found_date), direction(Dispute.id)])]


@dataclass
class LedgerPage:
    """One page of the ledger, with the attributes of Flask-SQLAlchemy's ``Pagination`` that the
    templates use (``items``, ``page``, ``pages``, ``total``, ``has_prev`` …).

    ``items`` are the rows of :func:`ledger_page` and ``parties`` their parties by dispute id. When
    ``capped``, the rows were counted only up to ``total`` (see :data:`COUNT_CAP`): there are more than
    ``total``, so ``pages`` is a lower bound and there is always a next page.
    """

    items: list
    page: int
    per_page: int
    total: int
    capped: bool = False
    parties: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(0, -(-self.total // self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.capped or self.page < self.pages)
    prev_num = property(lambda self: self.page - 1 if self.page > 1 else None)
    next_num = property(lambda self: self.page + 1 if self.has_next else None)

    def __iter__(self):
        return iter(self.items)


def _capped_count(where: list, limit: int):
    """``count(*)`` of the rows matching ``where``, counting at most ``limit`` (scalar subquery)."""
    matching = select(Dispute.id).where(*where).limit(limit).subquery()
    return select(func.count()).select_from(matching).scalar_subquery()


def _filter_implies_scope(user: User, args: LedgerArgs) -> bool:
    """True when the grid or village filter names a unit inside ``user``'s scope subtree (not for grid
    workers, whose scope is a list of grids). Every dispute of that unit is then in scope: a dispute's
    county/town/village/grid columns are the ancestors of its location, written together by
    services.location_columns (units never move). The page's count can then leave the scope out and
    run on the unit's covering index alone; the rows themselves are always selected with the scope."""
    unit_id = args.grid or args.village
    if not unit_id or user.role == GRID_WORKER:
        return False
    unit = db.session.get(OrgUnit, unit_id)
    return unit is not None and unit.ancestor(user.org_unit.level) is user.org_unit


@cache
def _row_columns() -> tuple:
    """What a ledger row shows, as columns: ``due`` is the deadline in force of an open dispute,
    ``village``/``grid`` the unit names. Built once (immutable SQL constructs)."""
    village, grid = aliased(OrgUnit), aliased(OrgUnit)
    columns = (Dispute.id, Dispute.ledger_year, Dispute.ledger_serial, Dispute.case_no, Dispute.title, Dispute.summary,
               Dispute.found_date, Dispute.category, Dispute.channel, Dispute.risk_level, Dispute.status,
               Dispute.handling_level, Dispute.resolved_date,
               case((Dispute.status.in_(OPEN_STATUSES), _effective_deadline()), else_=None).label("due"),
               village.name.label("village"), grid.name.label("grid"))
    return columns, village, grid


def ledger_page(user: User, args: LedgerArgs, per_page: int = PER_PAGE) -> LedgerPage:
    """Page ``args.page`` of the ledger (a page past the end shows the last one).

    The items are read-only rows of the columns the ledger shows (:func:`_row_columns`, ``id`` first),
    not ORM objects; ``parties`` maps each row's id to its parties (name, phone, ID number) in the
    case page's order. Three statements at 100,000 disputes (four with a village or grid filter): one
    counts the rows of each of the sort's segments, each count stopping after :data:`COUNT_CAP` rows
    (or as many as the page needs) on the segment's index; one reads the page's rows, whose ids come
    from an index walk of the segment (OFFSET skips index entries, not table rows); one reads their
    parties. Same rows and order as :func:`ledger_query` (both apply :func:`_filters` to the scope).
    """
    filters = _filters(user, args)
    where = and_(dispute_scope(user), *filters)
    counted_where = and_(*filters) if _filter_implies_scope(user, args) else where
    segments = _segments(args.sort)
    limit = max(COUNT_CAP, args.page * per_page) + 1
    sizes = list(db.session.execute(select(*(
        _capped_count([counted_where] + ([s.where] if s.where is not None else []), limit)
        for s in segments))).one())
    counted = sum(sizes)
    capped = counted >= limit
    total = limit - 1 if capped else counted
    page = max(1, min(args.page, -(-total // per_page) or 1))
    offset, wanted, items = (page - 1) * per_page, per_page, []
    columns, village, grid = _row_columns()
    for segment, size in zip(segments, sizes):
        if wanted <= 0:
            break
        if offset >= size:
            offset -= size
            continue
        ids = select(Dispute.id).where(where)
        if segment.where is not None:
            ids = ids.where(segment.where)
        ids = ids.order_by(*segment.order).offset(offset).limit(wanted).correlate(None)
        found = db.session.execute(
            select(*columns).outerjoin(village, village.id == Dispute.village_id)
            .outerjoin(grid, grid.id == Dispute.grid_id)
            .where(Dispute.id.in_(ids)).order_by(*segment.order)).all()
        items += found
        wanted -= len(found)
        offset = 0
    parties: dict[int, list] = {row.id: [] for row in items}
    if parties:
        for party in db.session.execute(
                select(Party.dispute_id, Party.name, Party.phone, Party.id_number)
                .where(Party.dispute_id.in_(list(parties))).order_by(Party.side, Party.sort, Party.id)):
            parties[party.dispute_id].append(party)
    return LedgerPage(items, page, per_page, total, capped, parties)


def ledger_query(user: User, args: Mapping[str, Any] | LedgerArgs) -> Select:
    """``select(Dispute)`` limited to ``user``'s scope (portal.scoping), filtered and sorted by
    ``args`` (request args, a dict, or a :class:`LedgerArgs`; see the module docstring).

    No eager loading and no pagination (the ledger page reads plain rows, :func:`ledger_page`).
    Dates are calendar dates (the Asia/Shanghai day, portal.timeutil.local_today for "today").
    """
    a = args if isinstance(args, LedgerArgs) else parse_ledger_args(args)
    return scoped_disputes(user).where(*_filters(user, a)).order_by(*_order(a.sort))


def _filters(user: User, a: LedgerArgs) -> list:
    """The conditions of the ledger's filters (without the user's scope)."""
    where = []
    if a.village:
        where.append(Dispute.village_id == a.village)
    if a.grid:
        where.append(Dispute.grid_id == a.grid)
    if a.campaign:
        where.append(Dispute.campaign_id == a.campaign)
    if a.ids:
        where.append(Dispute.id.in_(a.ids))
    statuses: list[str] = []
    for value in a.lists.get("status", []):
        statuses.extend(STATUS_GROUPS.get(value, (value,)))
    if statuses:
        where.append(Dispute.status.in_(statuses))
    if VOIDED not in statuses:
        where.append(Dispute.status != VOIDED)
    for name, column in (("category", Dispute.category), ("risk", Dispute.risk_level),
                         ("handling_level", Dispute.handling_level), ("channel", Dispute.channel),
                         ("result", Dispute.result)):
        if a.lists.get(name):
            where.append(column.in_(a.lists[name]))
    for prefix, column in (("found", Dispute.found_date), ("accepted", Dispute.accepted_date),
                           ("resolved", Dispute.resolved_date)):
        if a.dates.get(f"{prefix}_from"):
            where.append(column >= a.dates[f"{prefix}_from"])
        if a.dates.get(f"{prefix}_to"):
            where.append(column <= a.dates[f"{prefix}_to"])
    today = local_today()
    if a.flags.get("overdue"):
        where += [Dispute.status.in_(OPEN_STATUSES), _effective_deadline() < today]
    if a.flags.get("due_soon"):
        where += [Dispute.status.in_(OPEN_STATUSES), _effective_deadline() >= today,
                  _effective_deadline() <= today + timedelta(days=DUE_SOON_DAYS)]
    if a.flags.get("major"):
        flags_text = cast(Dispute.major_flags, String)
        where.append(or_(Dispute.risk_level == "RED",
                         not_(func.coalesce(flags_text, "[]").in_(("[]", "null", "")))))
    for flag, kind, status in (("escalated", ESCALATE, ESCALATED), ("referred", REFER, REFERRED)):
        if a.flags.get(flag):
            where.append(or_(Dispute.status == status,
                             Dispute.id.in_(select(Transfer.dispute_id).where(Transfer.kind == kind))))
    if a.figure:  # drill-down from a report figure: exactly the disputes it counts (issue 5)
        from portal.reports.services import figure_filter
        try:
            where.append(figure_filter(a.figure, user))
        except ValueError:
            where.append(Dispute.id.is_(None))
    if a.q:
        condition = _text_condition(a.q)
        if condition is not None:
            where.append(condition)
    return where


@cache
def _filter_statements() -> tuple[Select, Select]:
    """The filter form's two statements, built once (parameters ``root`` and ``town``):

    * ``(id, name, level)`` of the villages and grids in the subtree of the unit ``root``, in tree order:
      the units of portal.scoping.scoped_org_units, with one recursive query instead of one per level;
    * ``(id, name)`` of the town's 30 latest campaigns.
    """
    tree = select(OrgUnit.id).where(OrgUnit.id == bindparam("root")).cte("scope_tree", recursive=True)
    tree = tree.union_all(select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
    units = (select(OrgUnit.id, OrgUnit.name, OrgUnit.level)
             .where(OrgUnit.id.in_(select(tree.c.id)), OrgUnit.level.in_((VILLAGE, GRID)))
             .order_by(OrgUnit.sort, OrgUnit.id))
    campaigns = (select(Campaign.id, Campaign.name).where(Campaign.town_id == bindparam("town"))
                 .order_by(Campaign.start_date.desc()).limit(30))
    return units, campaigns


def filter_options(user: User) -> dict[str, Any]:
    """The choices of the ledger's filter form that come from the database, limited to ``user``'s scope
    (the fixed ones, status, level and result, are in views.ledger_labels)."""
    units_stmt, campaigns_stmt = _filter_statements()
    if user.role == GRID_WORKER:
        grids = [(grid.id, grid.name) for grid in user.grids]
        villages = list({grid.parent_id: (grid.parent_id, grid.parent.name) for grid in user.grids}.values())
    else:
        units = db.session.execute(units_stmt, {"root": user.org_unit_id}).all()
        villages = [(unit_id, name) for unit_id, name, level in units if level == VILLAGE]
        grids = [(unit_id, name) for unit_id, name, level in units if level == GRID]
    town = user.org_unit.ancestor(TOWN)
    campaigns = db.session.execute(campaigns_stmt, {"town": town.id}).all() if town else []
    return {
        "village_choices": villages, "grid_choices": grids,
        "campaign_choices": [(campaign_id, name) for campaign_id, name in campaigns],
        "category_choices": choices(CATEGORY), "risk_choices": choices(RISK_LEVEL),
        "channel_choices": choices(CHANNEL),
    }
