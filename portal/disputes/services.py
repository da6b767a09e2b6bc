"""Write workflows for disputes (Indico-style operations: they flush, never commit).

* :func:`create_dispute` registers a dispute with its parties (排查登记), numbering it and writing
  the first timeline event; one submission key gives one dispute, however often it is sent.
  :func:`bulk_create_disputes` writes the same rows for many disputes with a few Core INSERTs (import).
* :func:`record_event` appends to the timeline (who, when, what, old → new).
* :func:`next_number` / :func:`assign_case_number` hand out ledger serials (per town per year) and
  case numbers (per committee per year, domain.md 4.2), never reusing one.
* :func:`search_key` / :func:`refresh_search_text` keep the normalised free-text search column.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable, Optional

from flask import current_app
from sqlalchemy import insert, select, update

from portal.extensions import db
from portal.models.dispute import REPORTED, Dispute, DisputeEvent, NumberCounter, Party, Transfer
from portal.models.org import COUNTY, GRID, TOWN, VILLAGE, MediationCommittee, OrgUnit
from portal.models.user import User
from portal.timeutil import local_today
from portal.validation import normalize_text

LEDGER_SERIES, CASE_SERIES = "LEDGER", "CASE"
_SPACE = re.compile(r"\s+")


def search_key(text: Optional[str]) -> str:
    """Normalise text for storage in and search of ``search_text``/``name_norm``.

    Full-width letters, digits and spaces are folded (validation.normalize_text), all white space is
    removed and Latin letters are lower-cased, so "张　三", "张 三" and "张三" all match.
    """
    return _SPACE.sub("", normalize_text(text or "")).lower()


def refresh_search_text(dispute: Dispute) -> None:
    """Rebuild ``dispute.search_text`` from its numbers, title, summary and parties."""
    dispute.search_text = search_text_for(
        {"case_no": dispute.case_no, "ledger_year": dispute.ledger_year, "ledger_serial": dispute.ledger_serial,
         "title": dispute.title, "summary": dispute.summary, "address": dispute.address},
        [{"name": p.name, "id_number": p.id_number, "phone": p.phone} for p in dispute.parties])


def search_text_for(values: dict[str, Any], parties: Iterable[dict[str, Any]]) -> str:
    """The ``search_text`` of a dispute given its column ``values`` (case_no, ledger_year, ledger_serial,
    title, summary, address; missing keys count as empty) and its parties' values (name, id_number, phone)."""
    parts: list[str] = [values.get("case_no") or "", f"{values['ledger_year']}-{values['ledger_serial']:04d}",
                        values.get("title") or "", values.get("summary") or "", values.get("address") or ""]
    for party in parties:
        parts.extend([party.get("name") or "", party.get("id_number") or "", party.get("phone") or ""])
    return "\n".join(search_key(part) for part in parts if part)


def next_number(series: str, owner_id: int, year: int) -> int:
    """Return the next number of a series (1, 2, 3 …) for ``owner_id`` and ``year``.

    The counter row is incremented with an UPDATE in the current transaction: on PostgreSQL the
    row lock, on SQLite the ``BEGIN IMMEDIATE`` write lock, serialise concurrent callers.
    """
    return reserve_numbers(series, owner_id, year, 1)


def reserve_numbers(series: str, owner_id: int, year: int, count: int) -> int:
    """Reserve ``count`` consecutive numbers of a series for ``owner_id`` and ``year`` in one UPDATE and
    return the first (the block is ``first … first + count - 1``); for bulk imports.

    Same guarantees as :func:`next_number`: the counter moves inside the caller's transaction (row lock
    on PostgreSQL, the write lock on SQLite), so concurrent callers get disjoint blocks, and a rollback
    returns the whole block: the caller must use every number it reserved (gap-free, never reused).
    Raises ValueError for ``count < 1``.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    table = NumberCounter
    result = db.session.execute(
        update(table).where(table.series == series, table.owner_id == owner_id, table.year == year)
        .values(last=table.last + count)
        # No ORM synchronisation: it would scan the whole identity map on every call (slow in bulk
        # seeding and imports); the value is read back below anyway.
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        db.session.add(NumberCounter(series=series, owner_id=owner_id, year=year, last=count))
        db.session.flush()
        return 1
    last = db.session.scalar(select(table.last).where(table.series == series, table.owner_id == owner_id,
                                                      table.year == year))
    return last - count + 1


def format_case_no(committee: MediationCommittee, year: int, seq: int) -> str:
    """Format a case number with ``CASE_NO_PATTERN``, e.g. （2026）白沙人调字第001号."""
    return current_app.config["CASE_NO_PATTERN"].format(year=year, prefix=committee.case_prefix, seq=seq)


def assign_case_number(dispute: Dispute, committee: MediationCommittee, on: date,
                       seq: Optional[int] = None) -> str:
    """Give ``dispute`` the next case number of ``committee`` for the year of ``on`` (idempotent).

    ``seq``: a number the caller reserved with :func:`reserve_numbers` (bulk import); default: the next.
    """
    if dispute.case_no:
        return dispute.case_no
    seq = seq if seq is not None else next_number(CASE_SERIES, committee.id, on.year)
    dispute.committee = committee
    dispute.case_year, dispute.case_seq = on.year, seq
    dispute.case_no = format_case_no(committee, on.year, seq)
    refresh_search_text(dispute)  # the ledger finds a case by its number
    return dispute.case_no


def record_event(dispute: Dispute, action: str, *, user: Optional[User], note: Optional[str] = None,
                 changes: Optional[Iterable[dict[str, Any]]] = None, from_status: Optional[str] = None,
                 to_status: Optional[str] = None) -> DisputeEvent:
    """Append a timeline event to ``dispute``.

    :param action: a short code (``REGISTERED``, ``EDITED``, ``ACCEPTED``, ``ESCALATED`` …).
    :param changes: ``[{"field": name, "old": value, "new": value}]`` (values JSON-serialisable).
    """
    event = DisputeEvent(dispute=dispute, action=action, user_id=user.id if user else None, note=note,
                         changes=list(changes or []), from_status=from_status, to_status=to_status)
    db.session.add(event)
    return event


def location_columns(unit: OrgUnit) -> dict[str, Optional[int]]:
    """The denormalised scope columns (county/town/village/grid ids) for a village or grid unit.

    Raises ValueError for a unit that is not inside a town.
    """
    grid = unit if unit.level == GRID else None
    village = unit.ancestor(VILLAGE)
    town = unit.ancestor(TOWN)
    county = unit.ancestor(COUNTY)
    if town is None:
        raise ValueError("a dispute must be located in a town, village or grid")
    return {"grid_id": grid.id if grid else None, "village_id": village.id if village else None,
            "town_id": town.id, "county_id": county.id if county else None}


def fill_party(party: Party, values: dict[str, Any]) -> Party:
    """Copy validated ``values`` onto ``party`` and derive ``name_norm``."""
    for key, value in values.items():
        setattr(party, key, value)
    party.name_norm = search_key(party.name)
    return party


def create_dispute(*, user: User, location: OrgUnit, fields: dict[str, Any], parties: list[dict[str, Any]],
                   submission_key: Optional[str] = None, import_key: Optional[str] = None,
                   event_note: Optional[str] = None, ledger_serial: Optional[int] = None,
                   keys_checked: bool = False, flush: bool = True) -> tuple[Dispute, bool]:
    """Register a dispute (排查登记) located at a village or grid unit.

    :param fields: validated Dispute column values (title, summary, category, found_date …).
    :param parties: validated Party column values, one dict per party.
    :param submission_key: the form's one-time key; a second submission with the same key returns
        the dispute created by the first.
    :param import_key: a stable key of an imported row; importing the same row again returns the
        existing dispute.
    :param ledger_serial, keys_checked, flush: the bulk-import path (portal.ledger_io): a serial the
        caller reserved with :func:`reserve_numbers` for this town and found year, keys the caller
        already looked up in one query, and no flush per dispute (the caller flushes once per chunk).
    :returns: ``(dispute, created)``; ``created`` is False when the key matched an existing one.
    Raises ValueError when ``location`` is not inside a town. Flushes (unless ``flush=False``); the
    caller commits.
    """
    for column, key in ((Dispute.submission_key, submission_key), (Dispute.import_key, import_key)):
        if key and not keys_checked:
            existing = db.session.scalar(select(Dispute).where(column == key))
            if existing is not None:
                return existing, False
    where = location_columns(location)
    found = fields.get("found_date") or local_today()
    dispute = Dispute(**fields, **where, submission_key=submission_key, import_key=import_key)
    dispute.found_date = found
    dispute.status = dispute.status or REPORTED  # the column default applies only at INSERT (timeline)
    dispute.ledger_year = found.year
    dispute.ledger_serial = ledger_serial or next_number(LEDGER_SERIES, where["town_id"], found.year)
    dispute.found_by_id = dispute.found_by_id or user.id
    dispute.registrar_id = user.id
    for index, values in enumerate(parties):
        dispute.parties.append(fill_party(Party(sort=index), values))
    refresh_search_text(dispute)
    db.session.add(dispute)
    record_event(dispute, "REGISTERED", user=user, to_status=dispute.status, note=event_note)
    if flush:
        db.session.flush()
    return dispute, True


def _uniform(table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row of an executemany the same keys: a key some rows lack gets the column default
    (what an ORM INSERT would have written), else NULL."""
    keys = set().union(*rows) if rows else set()
    for row in rows:
        for key in keys.difference(row):
            default = table.c[key].default
            row[key] = None if default is None else default.arg(None) if default.is_callable else default.arg
    return rows


def bulk_create_disputes(*, user: User, items: list[dict[str, Any]]) -> list[int]:
    """Register many disputes at once (the bulk import's path): the same rows, parties, ``REGISTERED``
    events and search text as :func:`create_dispute`, written with a few Core ``INSERT``s (executemany,
    batched by SQLAlchemy's insertmanyvalues) instead of one ORM INSERT per object.

    Each item of ``items`` is a dict with ``location`` (a village or grid unit), ``fields`` (validated
    Dispute values), ``parties`` (validated Party values), ``ledger_serial`` (reserved by the caller with
    :func:`reserve_numbers` for the town and found year; drawn with :func:`next_number` when None) and
    optionally ``import_key``, ``extra`` (Dispute values set after registration, e.g. the case number;
    the search text includes them), ``events`` (DisputeEvent values recorded after ``REGISTERED``) and
    ``transfers`` (Transfer values).

    :returns: the new disputes' ids, in the order of ``items``.
    Nothing enters the session: ORM flush listeners do not see these rows, so a caller keeping data
    derived from disputes refreshes it for the returned ids. Raises ValueError when a location is not
    inside a town. The caller commits.
    """
    if not items:
        return []
    table = Dispute.__table__
    user_id = user.id  # once: ``user`` may be the request's current_user proxy
    disputes, parties = [], []
    for item in items:
        where = location_columns(item["location"])
        fields = item["fields"]
        found = fields.get("found_date") or local_today()
        values = {**fields, **where, "submission_key": None, "import_key": item.get("import_key")}
        values["found_date"] = found
        values["status"] = values.get("status") or REPORTED
        values["ledger_year"] = found.year
        values["ledger_serial"] = item.get("ledger_serial") or next_number(LEDGER_SERIES, where["town_id"], found.year)
        values["found_by_id"] = values.get("found_by_id") or user_id
        values["registrar_id"] = user_id
        values.update(item.get("extra") or {})
        party_rows = [{**party, "sort": index, "name_norm": search_key(party.get("name"))}
                      for index, party in enumerate(item["parties"])]
        values["search_text"] = search_text_for(values, party_rows)
        disputes.append(values)
        parties.append(party_rows)
    result = db.session.execute(insert(table).returning(table.c.id, table.c.town_id, table.c.ledger_year,
                                                        table.c.ledger_serial), _uniform(table, disputes))
    # Rows come back in any order: match them by their unique (town, year, serial).
    by_number = {(town, year, serial): dispute_id for dispute_id, town, year, serial in result}
    ids = [by_number[(d["town_id"], d["ledger_year"], d["ledger_serial"])] for d in disputes]
    party_rows = [{**party, "dispute_id": dispute_id} for dispute_id, rows in zip(ids, parties) for party in rows]
    events, transfers = [], []
    for dispute_id, values, item in zip(ids, disputes, items):
        events.append({"dispute_id": dispute_id, "action": "REGISTERED", "user_id": user_id, "note": None,
                       "changes": [], "from_status": None, "to_status": values["status"]})
        events += [{**event, "dispute_id": dispute_id} for event in item.get("events") or []]
        transfers += [{**transfer, "dispute_id": dispute_id} for transfer in item.get("transfers") or []]
    for model, rows in ((Party, party_rows), (DisputeEvent, events), (Transfer, transfers)):
        if rows:
            db.session.execute(insert(model.__table__), _uniform(model.__table__, rows))
    return ids
