"""The import's bulk path (issue 7): :func:`bulk_create_disputes` writes with Core INSERTs exactly the rows
:func:`create_dispute` writes through the ORM, and an imported ledger ends up with the parties, events,
transfers, search text, free-text index entries and monthly summary the rest of the portal expects."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, inspect, select

from portal.dialect import text_search
from portal.disputes.services import (LEDGER_SERIES, bulk_create_disputes, create_dispute, refresh_search_text,
                                      reserve_numbers, search_key)
from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent, Party, Transfer
from portal.models.org import GRID, TOWN, OrgUnit
from portal.models.reports import FOUND_BASIS, StatsMonth
from portal.reports import summary
from tests.test_import import SAMPLE, last_batch, run_import, sample_town, upload  # noqa: F401 (fixture)
from tests.test_import_helpers import ID_A

#: Columns that differ between two registrations of the same values.
OWN = {"id", "dispute_id", "import_key", "ledger_serial", "search_text", "created_at", "updated_at", "at"}


def columns(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs if attr.key not in OWN}


def found_by_text(key: str) -> set[int]:
    return set(db.session.scalars(select(Dispute.id).where(text_search(Dispute.id, Dispute.search_text, key))))


def test_bulk_create_writes_what_create_dispute_writes(app, user):
    clerk = user("zhongxin")
    grid = db.session.scalar(select(OrgUnit).where(OrgUnit.level == GRID).order_by(OrgUnit.id))
    full = {"title": "马志强与张海燕山林土地纠纷", "summary": "承包地边界界桩丢失", "category": "FOREST_LAND",
            "found_date": date(2026, 10, 3), "status": "MEDIATING", "risk_level": "RED",
            "measures": ["POLICY_EXPLANATION"], "amount_involved": 1200, "persons_involved": 2, "address": "上庄村三组"}
    bare = {"title": "红星机械厂欠薪", "summary": "", "category": "LABOUR", "found_date": date(2026, 10, 4),
            "status": "REPORTED"}  # no risk level or measures: the column defaults apply
    parties = [{"side": "APPLICANT", "name": "马 志强", "id_number": ID_A, "sex": "M",
                "birth_date": date(2003, 10, 3), "phone": "15915902851"},
               {"side": "RESPONDENT", "name": "红星机械厂", "party_type": "LEGAL_PERSON"}]
    cases = [(full, parties), (bare, parties[1:])]
    first = reserve_numbers(LEDGER_SERIES, grid.ancestor(TOWN).id, 2026, 2 * len(cases))
    orm = [create_dispute(user=clerk, location=grid, fields=dict(fields), parties=[dict(p) for p in people],
                          import_key=f"orm-{n}", ledger_serial=first + n)[0]
           for n, (fields, people) in enumerate(cases)]
    ids = bulk_create_disputes(user=clerk, items=[
        {"location": grid, "fields": dict(fields), "parties": [dict(p) for p in people], "import_key": f"bulk-{n}",
         "ledger_serial": first + len(cases) + n} for n, (fields, people) in enumerate(cases)])
    db.session.commit()
    db.session.expire_all()
    for made, dispute_id in zip(orm, ids):
        a, b = db.session.get(Dispute, made.id), db.session.get(Dispute, dispute_id)
        assert columns(a) == columns(b)
        assert b.version_id == 1 and b.created_at and b.updated_at
        assert [columns(p) for p in a.parties] == [columns(p) for p in b.parties]
        assert [columns(e) for e in a.events] == [columns(e) for e in b.events]
        assert b.search_text == a.search_text.replace(f"2026-{a.ledger_serial:04d}", f"2026-{b.ledger_serial:04d}")
        refresh_search_text(b)
        assert not inspect(b).attrs.search_text.history.has_changes()
    assert db.session.get(Dispute, ids[1]).risk_level == "GREEN" and db.session.get(Dispute, ids[1]).measures == []
    # The FTS5 trigger of migration 0008 indexed the Core INSERTs (the name is searched without its space).
    assert found_by_text("马志强") == {orm[0].id, ids[0]}
    assert found_by_text("红星机械") == {made.id for made in orm} | set(ids)


def test_imported_rows_are_complete(client, auth, sample_town, user):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes(), "ledger-sample-2026-10.xlsx")
    run_import(client, last_batch().id)
    clerk = user("zhongxin")
    disputes = db.session.scalars(select(Dispute).order_by(Dispute.id)).all()
    assert len(disputes) == 40
    for dispute in disputes:
        assert [(e.action, e.user_id, e.to_status) for e in dispute.events] == [
            ("REGISTERED", clerk.id, dispute.status), ("IMPORTED", clerk.id, dispute.status)]
        assert dispute.events[0].id < dispute.events[1].id and dispute.events[1].note == "ledger-sample-2026-10.xlsx"
        assert (dispute.found_by_id, dispute.registrar_id, dispute.version_id) == (clerk.id, clerk.id, 1)
        assert all(p.name_norm == search_key(p.name) for p in dispute.parties)
        before = dispute.search_text
        refresh_search_text(dispute)
        assert dispute.search_text == before and dispute.ledger_year == dispute.found_date.year
        if dispute.case_no:
            assert found_by_text(search_key(dispute.case_no)) == {dispute.id}
        transfers = [(t.kind, t.status, t.sent_by_id) for t in dispute.transfers]
        expected = {"ESCALATED": [("ESCALATE", "PENDING", clerk.id)], "REFERRED": [("REFER", "PENDING", clerk.id)]}
        assert transfers == expected.get(dispute.status, [])
        assert dispute.handling_level == {"ESCALATED": "TOWN", "REFERRED": "DEPARTMENT"}.get(dispute.status, "VILLAGE")
    applicant = disputes[0].parties[0]
    assert disputes[0].id in found_by_text(search_key(applicant.name)) and applicant.id_number
    assert disputes[0].id in found_by_text(applicant.id_number)
    assert db.session.scalar(select(func.count(Party.id))) == sum(len(d.parties) for d in disputes)
    assert db.session.scalar(select(func.count(DisputeEvent.id))) == 80
    assert db.session.scalar(select(func.count(Transfer.id))) == 18


def summary_rows() -> list[tuple]:
    """Every non-empty bucket of the monthly summary (the sums of its rows), sorted."""
    keys = [StatsMonth.__table__.c[name] for name in ("basis", "ym", "county_id", "town_id", "village_id",
                                                       "category")]
    figures = [c for c in StatsMonth.__table__.c if c.name != "id" and c not in keys]
    rows = db.session.execute(select(*keys, *[func.sum(c).label(c.name) for c in figures]).group_by(*keys))
    return sorted((tuple(r) for r in rows if r.n), key=repr)


def test_import_keeps_the_monthly_summary_exact(client, auth, sample_town):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    run_import(client, last_batch().id)
    kept = summary_rows()
    assert sum(r.n for r in db.session.scalars(select(StatsMonth).where(
        StatsMonth.basis == FOUND_BASIS, StatsMonth.ym == 202610))) == 40
    summary.rebuild(db.session)
    assert summary_rows() == kept
    db.session.rollback()


def test_batch_stored_without_the_good_rows_file_still_imports(client, auth, sample_town, app):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    batch = last_batch()
    good = Path(app.instance_path) / "imports" / f"batch-{batch.id}-good.jsonl"
    assert len(good.read_text(encoding="utf-8").splitlines()) == 40
    good.unlink()  # a batch uploaded before the file existed: the whole dry run is read instead
    run_import(client, batch.id)
    assert db.session.scalar(select(func.count(Dispute.id))) == 40
