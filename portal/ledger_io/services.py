"""Ledger import (台账导入): dry run, storage of the parsed rows, chunked import, the bad-rows file.

* :func:`build_lookups` — the user's villages/grids and the dictionaries, for the pure parser.
* :func:`create_batch` — parse an upload into an :class:`ImportBatch` plus a JSON file of rows under
  ``instance/imports/`` (the dry run survives between requests without touching the session cookie)
  and a JSON-lines file of the good rows, one per line, which the import reads a chunk at a time.
* :func:`import_chunk` — register the next ``IMPORT_CHUNK`` good rows with
  :func:`portal.disputes.services.bulk_create_disputes` (one transaction per chunk, committed by the
  view, so the database is never locked for long). Rows already imported (same import key) are skipped.
* :func:`bad_rows_workbook` — the rows with errors, in the uploaded layout, plus an error column.

Functions flush; the views commit.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Optional

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.dictionaries import labels
from portal.disputes.services import (CASE_SERIES, LEDGER_SERIES, bulk_create_disputes, format_case_no,
                                      location_columns, reserve_numbers)
from portal.extensions import db
from portal.ledger_io import parser
from portal.models.dispute import DICT_KINDS, Dispute
from portal.models.ledger_io import DONE, IMPORTING, ImportBatch
from portal.models.org import GRID, TOWN, VILLAGE, MediationCommittee, OrgUnit
from portal.models.user import User
from portal.reports import summary
from portal.scoping import scoped_org_units, visible_org_ids
from portal.timeutil import local_midnight_utc, local_today, now_utc

#: Good rows per import step (one request, one transaction). With bulk INSERTs a 2,500-row step holds the
#: write lock about as long (~1 s) as a 500-row step did through the ORM; each step also pays a fixed
#: ~0.15 s (summary pass, commit, request), so fewer, larger steps.
IMPORT_CHUNK = 2500
#: States whose imported rows are open accepted cases (they get a deadline).
OPEN_ACCEPTED = {"ACCEPTED", "MEDIATING"}


def build_lookups(user: User) -> parser.Lookups:
    """The parser's view of ``user``'s world: villages and grids in scope, the names of the town's
    other villages (to say "not in your area" rather than "unknown"), and every dictionary."""
    villages = list(db.session.scalars(scoped_org_units(user, VILLAGE)))
    grids: dict[int, list[tuple[int, str]]] = {v.id: [] for v in villages}
    for grid in db.session.scalars(scoped_org_units(user, GRID)):
        grids.setdefault(grid.parent_id, []).append((grid.id, grid.name))
    town = user.org_unit.ancestor(TOWN)
    others: set[str] = set()
    if town is not None:
        others = set(db.session.scalars(select(OrgUnit.name).where(OrgUnit.parent_id == town.id,
                                                                   OrgUnit.level == VILLAGE)))
        others -= {v.name for v in villages}
    default = villages[0].id if len(villages) == 1 and user.org_unit.level == VILLAGE else None
    return parser.Lookups(villages={v.id: v.name for v in villages}, grids=grids, other_villages=others,
                          dictionaries={kind: labels(kind) for kind in DICT_KINDS},
                          default_village_id=default, today=local_today())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a bulk step (the dry run, an import chunk): they
    allocate hundreds of thousands of small dicts and lists without reference cycles, and every few
    hundred allocations would start a collection that traverses them again (~12% of an import's time).
    Reference counting still frees everything; the collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _store_path(batch: ImportBatch) -> Path:
    return Path(current_app.instance_path) / "imports" / f"batch-{batch.id}.json"


def _good_path(batch: ImportBatch) -> Path:
    return Path(current_app.instance_path) / "imports" / f"batch-{batch.id}-good.jsonl"


#: What :func:`import_chunk` reads of a good row (the rest is for the dry-run page and the bad-rows file).
IMPORT_KEYS = ("key", "village_id", "grid_id", "fields", "parties")


def _write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".batch-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _write_json(path: Path, content: dict) -> None:
    # json.dumps, not json.dump: only the one-shot form uses the C encoder (several times faster).
    _write_file(path, json.dumps(content, ensure_ascii=False))


def _good_rows(batch: ImportBatch, start: int, stop: int) -> tuple[list[dict], int]:
    """Good rows ``start … stop - 1`` of ``batch`` and the number of good rows. Reads the batch's
    one-line-per-good-row file (only the lines asked for are decoded); batches stored before that file
    existed fall back to the whole dry run."""
    path = _good_path(batch)
    if not path.exists():
        good = [row for row in load_batch_rows(batch)["rows"] if row["state"] == "good"]
        return good[start:stop], len(good)
    rows, total = [], 0
    with path.open("rb") as fh:  # bytes: the lines skipped are not even decoded
        for total, line in enumerate(fh, 1):
            if start < total <= stop:
                rows.append(json.loads(line))
    return rows, total


def load_batch_rows(batch: ImportBatch) -> dict:
    """The stored dry run of ``batch``: ``{"header_rows", "labels", "rows"}``. 404 when it is gone."""
    path = _store_path(batch)
    if not path.exists():
        abort(404)
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def get_batch_or_404(batch_id: int, user: User) -> ImportBatch:
    """An import batch of ``user`` (batches are private to their uploader), else 404."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.user_id != user.id:
        abort(404)
    return batch


def _known_keys(keys: list[str]) -> set[str]:
    known: set[str] = set()
    for chunk in parser.iter_chunks(keys, 500):
        known.update(db.session.scalars(select(Dispute.import_key).where(Dispute.import_key.in_(chunk))))
    return known


def create_batch(user: User, filename: str, data: bytes) -> ImportBatch:
    """Parse an uploaded file (the dry run) and store it as a new batch. Flushes.

    Each row gets ``state``: ``good`` (will be imported), ``bad`` (has errors) or ``known`` (its
    import key is already in the database: "already imported, skipped").
    :raises parser.FileError: unreadable file or no header.
    """
    with _collector_paused():
        result = parser.parse_file(filename, data, build_lookups(user))
    known = _known_keys([row["key"] for row in result.rows])
    counts = {"good": 0, "bad": 0, "known": 0}
    for row in result.rows:
        row["state"] = "bad" if row["errors"] else "known" if row["key"] in known else "good"
        counts[row["state"]] += 1
    batch = ImportBatch(user_id=user.id, filename=filename[:255], sha256=hashlib.sha256(data).hexdigest(),
                        sheet=result.sheet[:100], total_rows=len(result.rows), good_rows=counts["good"],
                        bad_rows=counts["bad"], known_rows=counts["known"])
    db.session.add(batch)
    db.session.flush()
    labels_by_col = {str(col): label for col, label in result.header.labels.items()}
    _write_json(_store_path(batch), {"header_rows": result.header_rows, "labels": labels_by_col,
                                     "rows": result.rows})
    _write_file(_good_path(batch), "".join(
        json.dumps({key: row[key] for key in IMPORT_KEYS}, ensure_ascii=False) + "\n"
        for row in result.rows if row["state"] == "good"))
    return batch


def _as_date(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _model_values(row: dict) -> tuple[dict, list[dict]]:
    fields = dict(row["fields"])
    for key in ("found_date", "accepted_date", "resolved_date"):
        if key in fields:
            fields[key] = _as_date(fields[key])
    if fields.get("amount_involved") is not None:
        fields["amount_involved"] = Decimal(fields["amount_involved"])
    parties = []
    for party in row["parties"]:
        party = dict(party)
        if party.get("birth_date"):
            party["birth_date"] = _as_date(party["birth_date"])
        parties.append(party)
    return fields, parties


def _outcome(fields: dict, user_id: int, village: OrgUnit, committee: Optional[MediationCommittee],
             case_seq: Optional[int], departments: dict[str, str]) -> tuple[dict, list[dict]]:
    """Complete an imported dispute whose sheet says it is further than REPORTED (domain.md 5.1):
    returns ``(more Dispute values, Transfer values)``: acceptance (``committee`` of the village, case
    number ``case_seq`` reserved by the caller, deadline), performance, and the transfer of an escalated
    or referred row (sent on the found date, so the month's 上报/移交 figure counts it).
    ``departments``: the referral-target dictionary."""
    status = fields.get("status")
    accepted = fields.get("accepted_date")
    extra: dict[str, Any] = {}
    transfers: list[dict] = []
    if accepted:
        if committee is not None:
            extra.update(committee_id=committee.id, case_year=accepted.year, case_seq=case_seq,
                         case_no=format_case_no(committee, accepted.year, case_seq))
        if status in OPEN_ACCEPTED:
            extra["deadline"] = accepted + timedelta(days=current_app.config["DEFAULT_DEADLINE_DAYS"])
    if status == "PERFORMED":
        extra.update(performance_status="PERFORMED", agreement_form="ORAL")
    sent = local_midnight_utc(fields.get("found_date") or local_today()) + timedelta(hours=12)
    reason = fields.get("status_reason") or status
    if status == "ESCALATED":
        town = village.ancestor(TOWN)
        extra["handling_level"] = "TOWN"
        transfers.append(dict(kind="ESCALATE", from_org_id=village.id, to_org_id=town.id, from_level="VILLAGE",
                              to_level="TOWN", reason=reason, sent_by_id=user_id, sent_at=sent))
    elif status == "REFERRED":
        text = (fields.get("status_reason") or "").removeprefix("已").removeprefix("移交")
        department = parser.match_dictionary(text, departments) or "OTHER"
        extra["handling_level"] = "DEPARTMENT"
        transfers.append(dict(kind="REFER", from_org_id=village.id, to_department=department,
                              from_level="VILLAGE", to_level="DEPARTMENT", reason=reason, sent_by_id=user_id,
                              sent_at=sent))
    return extra, transfers


def _org_units(user: User) -> dict[int, OrgUnit]:
    """Every unit ``user`` sees plus the ancestors of their scope root, loaded in one query and kept
    referenced for the chunk (so ``unit.ancestor()`` and ``parent`` never query again)."""
    ids = set(visible_org_ids(user))
    node = user.org_unit
    while node is not None:
        ids.add(node.id)
        node = node.parent
    units: dict[int, OrgUnit] = {}
    for chunk in parser.iter_chunks(sorted(ids), 500):
        units.update((unit.id, unit) for unit in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(chunk))))
    return units


def _reserve(counts: dict[tuple[str, int, int], int]) -> dict[tuple[str, int, int], Iterator[int]]:
    """Reserve a block of numbers for each (series, owner, year) → count; returns an iterator of each
    block's numbers (each is used exactly once, in row order: no gap)."""
    return {(series, owner, year): iter(range(first, first + count))
            for (series, owner, year), count in counts.items()
            for first in [reserve_numbers(series, owner, year, count)]}


def import_chunk(batch: ImportBatch, user: User, size: Optional[int] = None) -> None:
    """Register the next ``size`` good rows of ``batch`` and advance its cursor. Flushes.

    Every row lands in ``user``'s scope only (re-checked here). A row whose import key already
    exists (or repeats an earlier row of the chunk) is counted as skipped, so importing the same file
    twice creates no duplicates. Each new dispute gets an ``IMPORTED`` event naming the file.

    Batch path (issue 7): units, committees and known import keys are looked up once per chunk, the
    ledger serials and case numbers are reserved as one block per town/committee and year
    (:func:`reserve_numbers`, in this transaction: gap-free, never reused, handed out in row order),
    and the disputes, parties, events and transfers are written with a few bulk INSERTs
    (:func:`bulk_create_disputes`), then counted into the monthly summary in one pass
    (:func:`portal.reports.summary.add_new_disputes`).
    """
    if batch.status == DONE:
        return
    size = size or IMPORT_CHUNK
    with _collector_paused():
        chunk, total = _good_rows(batch, batch.cursor, batch.cursor + size)
        ids = _register(batch, user, chunk)
    if ids:
        summary.add_new_disputes(db.session, ids)  # Core INSERTs: the ORM flush hook does not see them
    batch.cursor = min(batch.cursor + size, total)
    if batch.cursor >= total:
        batch.status = DONE
        batch.finished_at = now_utc()
    db.session.flush()


def _register(batch: ImportBatch, user: User, chunk: list[dict]) -> list[int]:
    """Register the good rows ``chunk`` of ``batch`` not yet in the database; returns the new ids."""
    visible = set(visible_org_ids(user))
    batch.status = IMPORTING
    with db.session.no_autoflush:
        units = _org_units(user)
        known = _known_keys([row["key"] for row in chunk])
        todo = []
        for row in chunk:
            unit_id = row["grid_id"] or row["village_id"]
            if unit_id not in visible or unit_id not in units or row["key"] in known:
                batch.skipped += 1
                continue
            known.add(row["key"])
            fields, parties = _model_values(row)
            unit = units[unit_id]
            found = fields.get("found_date") or local_today()
            todo.append((row, unit, fields, parties, location_columns(unit)["town_id"], found.year))
        # Without the towns' lock a concurrent edit in the town could DELETE a bucket before this chunk
        # commits and recompute it after: the chunk's disputes would count twice (its added summary rows
        # plus the recomputed bucket).
        summary.lock_towns(db.session, {town_id for *_rest, town_id, _year in todo})
        village_ids = {unit.ancestor(VILLAGE).id for _row, unit, *_rest in todo}
        committees: dict[int, MediationCommittee] = {}
        if village_ids:
            for committee in db.session.scalars(select(MediationCommittee).where(
                    MediationCommittee.org_unit_id.in_(village_ids)).order_by(MediationCommittee.id)):
                committees.setdefault(committee.org_unit_id, committee)
        counts: dict[tuple[str, int, int], int] = {}
        for _row, unit, fields, _parties, town_id, year in todo:
            counts[(LEDGER_SERIES, town_id, year)] = counts.get((LEDGER_SERIES, town_id, year), 0) + 1
            committee = committees.get(unit.ancestor(VILLAGE).id)
            if fields.get("accepted_date") and committee is not None:
                key = (CASE_SERIES, committee.id, fields["accepted_date"].year)
                counts[key] = counts.get(key, 0) + 1
        numbers = _reserve(counts)
        departments = labels("referral_target")
        user_id, note = user.id, batch.filename
        items = []
        for row, unit, fields, parties, town_id, year in todo:
            village = unit.ancestor(VILLAGE)
            committee = committees.get(village.id)
            serial = next(numbers[(LEDGER_SERIES, town_id, year)])
            case_seq = None
            if fields.get("accepted_date") and committee is not None:
                case_seq = next(numbers[(CASE_SERIES, committee.id, fields["accepted_date"].year)])
            extra, transfers = _outcome(fields, user_id, village, committee, case_seq, departments)
            items.append({"location": unit, "fields": fields, "parties": parties, "import_key": row["key"],
                          "ledger_serial": serial, "extra": extra, "transfers": transfers,
                          "events": [{"action": "IMPORTED", "user_id": user_id, "note": note,
                                      "changes": [], "from_status": None,
                                      "to_status": fields.get("status") or "REPORTED"}]})
        ids = bulk_create_disputes(user=user, items=items)
    batch.imported += len(ids)
    return ids


def bad_rows_workbook(batch: ImportBatch):
    """The rows with errors as an ``.xlsx`` (a temporary file object at position 0): the uploaded
    header rows, then each bad row's cells as read, then an "错误说明" column listing every problem.
    IDs and phones stay text cells; nothing is written as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from portal.ledger_io.export import text_cell

    stored = load_batch_rows(batch)
    width = max([len(r) for r in stored["header_rows"]] + [len(r["raw"]) for r in stored["rows"]] + [1])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rows to fix"))
    sheet.freeze_panes = f"A{len(stored['header_rows']) + 2}"
    for col in range(1, width + 2):
        sheet.column_dimensions[_letter(col)].width = 16
    sheet.column_dimensions[_letter(width + 1)].width = 60
    title = text_cell(sheet, _("Rows of %(file)s to correct and import again", file=batch.filename))
    title.font = Font(bold=True, size=13)
    sheet.append([title])
    for index, header in enumerate(stored["header_rows"]):
        cells = [text_cell(sheet, value) if value is not None else None for value in header]
        cells += [None] * (width - len(cells))
        error_head = text_cell(sheet, "错误说明" if index == 0 else None)
        cells.append(error_head)
        sheet.append(cells)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in stored["rows"]:
        if row["state"] != "bad":
            continue
        cells = [text_cell(sheet, value) if isinstance(value, str) else value for value in row["raw"]]
        cells += [None] * (width - len(cells))
        message = "；".join(f"{p['col']}列{p['label'] and '（' + p['label'] + '）'}：{p['message']}" if p["col"]
                           else p["message"] for p in row["errors"])
        error = text_cell(sheet, f"第{row['row']}行：{message}")
        error.alignment = wrap
        cells.append(error)
        sheet.append(cells)
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def preview_rows(stored: dict, state: str = "", page: int = 1, per_page: int = 100) -> tuple[list[dict], int]:
    """Rows of a stored dry run for display, filtered by ``state`` (good/bad/known, '' = all), one
    page at a time. Returns ``(rows, number of pages)``."""
    rows = [row for row in stored["rows"] if not state or row["state"] == state]
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * per_page: page * per_page], pages


def row_summary(row: dict) -> dict[str, Any]:
    """What the dry-run table shows for one row (masked in the template)."""
    by_side: dict[str, list[dict]] = {"APPLICANT": [], "RESPONDENT": []}
    for party in row["parties"]:
        by_side.setdefault(party["side"], []).append(party)
    return {"applicants": by_side["APPLICANT"], "respondents": by_side["RESPONDENT"]}
