"""The monthly summary behind the dashboard and the report (issue 7: their cost must not grow with the ledger).

:class:`~portal.models.reports.StatsMonth` holds, per town, village, category and month, the disputes
found (with the three Fengqiao counts) and the disputes mediated at this level (with the successes),
computed with the very conditions of :func:`portal.reports.services.figure_condition`. It is kept
exact, not eventually: every flush that creates, changes or deletes a dispute (in a column a figure
reads) or a transfer recomputes the summary buckets the dispute was in before and is in now, in the
same transaction (:func:`_after_flush`). Code that writes disputes with Core statements (the
benchmark seeder, bulk imports) calls :func:`refresh_disputes` or :func:`rebuild` itself.

Readers (:func:`usable`) take the summary only where it answers exactly: whole months, a county, town
or village scope, and a user whose own scope contains that area (grid workers and campaigns count live).
"""
from __future__ import annotations

from datetime import date
from itertools import chain
from typing import Iterable, Optional

from sqlalchemy import and_, delete, event, extract, func, insert, inspect, literal, select
from sqlalchemy.orm import Session

from portal.models.dispute import Dispute, Transfer
from portal.models.org import COUNTY, TOWN, VILLAGE, OrgUnit
from portal.models.reports import ACCEPTED_BASIS, BASIS_FIGURES, FOUND_BASIS, RESOLVED_BASIS, StatsMonth
from portal.models.user import GRID_WORKER, User

#: Dispute columns a summary figure reads: a change elsewhere (remarks, parties…) needs no refresh.
WATCHED = ("found_date", "accepted_date", "resolved_date", "county_id", "town_id", "village_id", "category",
           "status", "result", "handling_level", "source", "performance_status", "amount_involved",
           "prevention_flags")
ALL_TIME = (date(1900, 1, 1), date(9999, 12, 31))

# A bucket key: (basis, town_id, village_id or None, category, ym)
Key = tuple[str, int, Optional[int], str, int]


BASIS_DATES = {FOUND_BASIS: "found_date", ACCEPTED_BASIS: "accepted_date", RESOLVED_BASIS: "resolved_date"}
#: The figure that decides whether a dispute counts in a basis at all (``n``).
BASIS_COUNTED = {FOUND_BASIS: "found", ACCEPTED_BASIS: "mediated", RESOLVED_BASIS: None}
_COLUMNS = ["basis", "ym", "county_id", "town_id", "village_id", "category", "n",
            *chain.from_iterable(BASIS_FIGURES.values())]


def _basis_date(basis: str):
    return getattr(Dispute, BASIS_DATES[basis])


def _figure_sum(column: str, period):
    """The SUM of one summary column over the disputes of a group."""
    from portal.reports import services
    if column == "amount_yuan":
        return services._sum_if(services.figure_condition("success", period), func.coalesce(Dispute.amount_involved, 0))
    if column.endswith("_persons"):
        code = column.removesuffix("_persons").upper()
        return services._sum_if(services.figure_condition(code, period), func.coalesce(services._flag(code), 0))
    key = column.upper() if column.startswith("prevent_") else column
    return services._sum_if(services.figure_condition(key, period))


def _aggregate(basis: str, where):
    """``SELECT`` of summary rows (in :data:`_COLUMNS` order) for the disputes matching ``where``, grouped
    by town, village, category and month of the basis date."""
    from portal.reports import services
    period = services.range_period(*ALL_TIME)
    day = _basis_date(basis)
    ym = (extract("year", day) * 100 + extract("month", day)).label("ym")  # GROUP BY ym: one expression (PostgreSQL)
    counted = services.figure_condition(BASIS_COUNTED[basis], period) if BASIS_COUNTED[basis] else \
        and_(services._base(), day.is_not(None), services._mediated_here())
    sums = [_figure_sum(c, period) if c in BASIS_FIGURES[basis] else literal(0)
            for c in _COLUMNS[7:]]
    return select(literal(basis), ym, func.max(Dispute.county_id), Dispute.town_id, Dispute.village_id,
                  Dispute.category, func.count(), *sums) \
        .where(counted, where).group_by(Dispute.town_id, Dispute.village_id, Dispute.category, ym)


def _month_bounds(ym: int) -> tuple[date, date]:
    from portal.timeutil import month_range
    return month_range(ym // 100, ym % 100)


#: More buckets than this in one town and month of one basis: recompute the whole town-month at once
#: (one pass over its disputes) instead of bucket by bucket (a pass each).
WHOLE_MONTH_FROM = 8


def _refresh(connection, keys: Iterable[Key]) -> None:
    """Recompute the buckets ``keys`` from the disputes: one DELETE and one INSERT … SELECT per bucket,
    or per town-month where a bulk write touched more than :data:`WHOLE_MONTH_FROM` of its buckets."""
    months: dict[tuple[str, int, int], set[tuple[Optional[int], str]]] = {}
    for basis, town_id, village_id, category, ym in keys:
        months.setdefault((basis, town_id, ym), set()).add((village_id, category))
    for (basis, town_id, ym), slices in sorted(months.items()):
        start, end = _month_bounds(ym)
        month = and_(Dispute.town_id == town_id, _basis_date(basis).between(start, end))
        bucket = and_(StatsMonth.basis == basis, StatsMonth.town_id == town_id, StatsMonth.ym == ym)
        if len(slices) > WHOLE_MONTH_FROM:
            targets = [(month, bucket)]
        else:
            targets = [(and_(month, Dispute.village_id == village_id, Dispute.category == category),
                        and_(bucket, StatsMonth.village_id == village_id, StatsMonth.category == category))
                       for village_id, category in sorted(slices, key=lambda s: (s[0] or 0, s[1]))]
        for where, rows in targets:
            connection.execute(delete(StatsMonth).where(rows))
            connection.execute(insert(StatsMonth).from_select(_COLUMNS, _aggregate(basis, where)))


def _keys(values: dict) -> set[Key]:
    """Buckets of one dispute given its column values (a dict of :data:`WATCHED` columns)."""
    keys = set()
    for basis, column in BASIS_DATES.items():
        day = values.get(column)
        if day is not None and values.get("town_id") is not None and values.get("category"):
            keys.add((basis, values["town_id"], values.get("village_id"), values["category"],
                      day.year * 100 + day.month))
    return keys


def _current_keys(connection, dispute_ids: set[int]) -> set[Key]:
    keys: set[Key] = set()
    ids = sorted(dispute_ids)
    for i in range(0, len(ids), 500):
        rows = connection.execute(select(Dispute.found_date, Dispute.accepted_date, Dispute.resolved_date,
                                         Dispute.town_id, Dispute.village_id, Dispute.category)
                                  .where(Dispute.id.in_(ids[i:i + 500])))
        for row in rows:
            keys |= _keys(row._asdict())
    return keys


def refresh_disputes(session: Session, dispute_ids: Iterable[int]) -> None:
    """Bring the buckets of ``dispute_ids`` (as they are now in the database) up to date.

    For code that updates disputes with Core statements instead of the ORM; the ORM path
    is covered by :func:`_after_flush`. A dispute moved to another bucket by Core needs
    :func:`rebuild` (its old bucket is unknown here).
    """
    connection = session.connection()
    _refresh(connection, _current_keys(connection, set(dispute_ids)))


def add_new_disputes(session: Session, dispute_ids: Iterable[int]) -> None:
    """Count disputes just inserted with Core statements (and their transfers) into the summary: their
    own aggregate rows are added next to the buckets' (readers sum all rows of a bucket; the next
    refresh of a bucket folds them into one). One pass over the new rows per basis, whatever their
    number; for disputes that were already counted use :func:`refresh_disputes`."""
    connection = session.connection()
    ids = sorted(set(dispute_ids))
    for i in range(0, len(ids), 5000):
        for basis in BASIS_DATES:
            connection.execute(insert(StatsMonth).from_select(
                _COLUMNS, _aggregate(basis, Dispute.id.in_(ids[i:i + 5000]))))


def rebuild(session: Session, town_id: Optional[int] = None) -> None:
    """Recompute the whole summary (or one town's) from the disputes. Used by migration 0009, the
    benchmark seeder and ``flask rebuild-statistics``."""
    connection = session.connection()
    where = Dispute.town_id == town_id if town_id is not None else Dispute.id.is_not(None)
    connection.execute(delete(StatsMonth).where(StatsMonth.town_id == town_id) if town_id is not None
                       else delete(StatsMonth))
    for basis in BASIS_DATES:
        connection.execute(insert(StatsMonth).from_select(_COLUMNS, _aggregate(basis, where)))


def _old_values(state) -> dict:
    """The WATCHED values a dispute had when loaded (before this flush's changes)."""
    values = {}
    for name in WATCHED:
        history = state.attrs[name].history
        values[name] = history.deleted[0] if history.deleted else state.attrs[name].value
    return values


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    """Lock the towns whose summary this flush will change (``SELECT … FOR UPDATE`` on the town row;
    PostgreSQL): concurrent transactions then refresh one town's buckets one after the other, each
    seeing the other's committed disputes. SQLite already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return
    towns = {obj.town_id for obj in chain(session.new, session.dirty, session.deleted)
             if isinstance(obj, Dispute) and obj.town_id is not None}
    towns |= {t.dispute.town_id for t in chain(session.new, session.dirty, session.deleted)
              if isinstance(t, Transfer) and t.dispute is not None}
    lock_towns(session, towns)


def lock_towns(session: Session, town_ids: Iterable[int]) -> None:
    """``SELECT … FOR UPDATE`` the towns' rows, in id order: one writer of a town's summary at a time
    (PostgreSQL; SQLite's write lock already serialises writers and ignores it). Bulk writers that add
    rows with :func:`add_new_disputes` take it before their INSERTs, as :func:`_before_flush` does."""
    towns = sorted(set(town_ids))
    if towns:
        session.execute(select(OrgUnit.id).where(OrgUnit.id.in_(towns)).order_by(OrgUnit.id).with_for_update())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    """Recompute the buckets touched by this flush: the old and new buckets of every created, changed
    (in a :data:`WATCHED` column) or deleted dispute, and the buckets of disputes whose transfers changed
    (the Fengqiao "passed out" count reads transfers)."""
    keys: set[Key] = set()
    ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Dispute):
            state = inspect(obj)
            if obj in session.new:
                ids.add(obj.id)
            elif obj in session.deleted:
                keys |= _keys(_old_values(state))
            elif any(state.attrs[name].history.has_changes() for name in WATCHED):
                keys |= _keys(_old_values(state))
                ids.add(obj.id)
        elif isinstance(obj, Transfer) and obj.dispute_id is not None:
            ids.add(obj.dispute_id)
    if not keys and not ids:
        return
    connection = session.connection()
    _refresh(connection, keys | _current_keys(connection, ids))


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------

def usable(user: User, unit: OrgUnit) -> bool:
    """Whether the summary answers for ``user`` looking at ``unit`` (a county, town or village, not a
    campaign): the user's own dispute scope (:func:`portal.scoping.dispute_scope`) must contain the whole
    unit, which holds for everybody but grid workers (their grids only) and users placed on a grid."""
    return user.role != GRID_WORKER and user.org_unit.level in (COUNTY, TOWN, VILLAGE) and \
        unit.level in (COUNTY, TOWN, VILLAGE)


def unit_condition(unit: OrgUnit):
    """Condition on :class:`StatsMonth` for the buckets inside ``unit`` (county, town or village)."""
    column = {COUNTY: StatsMonth.county_id, TOWN: StatsMonth.town_id, VILLAGE: StatsMonth.village_id}[unit.level]
    return column == unit.id


def ym_between(start: date, end: date):
    """Condition: bucket month within the whole months from ``start``'s to ``end``'s."""
    return StatsMonth.ym.between(start.year * 100 + start.month, end.year * 100 + end.month)
