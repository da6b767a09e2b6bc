"""The monthly summary (portal.reports.summary) stays exact: after every kind of change made through
the ORM, the buckets kept up to date flush by flush equal the buckets rebuilt from scratch, and the
dashboard and table 2 read from it the same figures as the live queries over the disputes."""
from __future__ import annotations

from datetime import date
from itertools import chain

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.dispute import Dispute, Transfer
from portal.models.org import OrgUnit
from portal.models.reports import BASIS_FIGURES, StatsMonth
from portal.models.user import User
from portal.reports import dashboard, services, summary
from tests.reports_fixture import build_october

COLUMNS = ("basis", "ym", "county_id", "town_id", "village_id", "category", "n",
           *chain.from_iterable(BASIS_FIGURES.values()))


def buckets() -> list[tuple]:
    """Every non-empty bucket (the sums of its rows), sorted."""
    keys = [getattr(StatsMonth, c) for c in COLUMNS[:6]]
    rows = db.session.execute(select(*keys, *[func.sum(getattr(StatsMonth, c)) for c in COLUMNS[6:]])
                              .group_by(*keys)).all()
    return sorted((tuple(r) for r in rows if r[6]), key=repr)


def assert_exact() -> None:
    kept = buckets()
    summary.rebuild(db.session)
    assert kept == buckets()
    db.session.rollback()


@pytest.fixture
def october(app):
    units = build_october()
    assert buckets(), "the fixture's disputes are in the summary"
    return units


def test_summary_matches_a_rebuild_after_creation(october):
    assert_exact()
    found_october = sum(b[6] for b in buckets() if b[0] == "F" and b[1] == 202610)
    assert found_october == 7  # d1–d6 and d8 (d10 is voided), as table 1 of tests/test_statistics.py


@pytest.mark.parametrize("change", ["category", "village", "found_date", "accepted_date", "status", "result",
                                    "handling_level", "void", "delete", "transfer", "transfer_kind", "source",
                                    "performance", "amount", "resolved_date", "prevention_flags"])
def test_summary_follows_every_change(october, change):
    d = october["d"]
    dispute: Dispute = db.session.get(Dispute, d["d1"].id)
    before = buckets()
    db.session.expire_all()  # changes on expired attributes must still leave their old bucket
    if change == "category":
        dispute.category = "LABOUR"
    elif change == "village":
        dispute.village_id = october["V3"].id
    elif change == "found_date":
        dispute.found_date = date(2026, 8, 3)
    elif change == "accepted_date":
        dispute.accepted_date = date(2026, 9, 2)
    elif change == "status":
        dispute.status = "REFERRED"
    elif change == "result":
        dispute.result = "FAILED_TERMINATED"
    elif change == "source":
        dispute.source = "APPLICATION"
    elif change == "performance":
        dispute.performance_status = "JUDICIALLY_CONFIRMED"
    elif change == "amount":
        dispute.amount_involved = 99
    elif change == "resolved_date":
        dispute.resolved_date = date(2026, 11, 2)
    elif change == "prevention_flags":
        dispute.prevention_flags = {"PREVENT_SUICIDE": 1}
    elif change == "handling_level":
        dispute.handling_level = "COUNTY"
    elif change == "void":
        dispute.status = "VOIDED"
    elif change == "delete":
        db.session.delete(dispute)
    elif change == "transfer":
        db.session.add(Transfer(dispute=dispute, kind="REFER", to_department="COURT", reason="起诉",
                                status="PENDING"))
    elif change == "transfer_kind":
        transfer = db.session.scalar(select(Transfer).where(Transfer.dispute_id == d["d12"].id))
        transfer.to_level = "COUNTY"
    db.session.commit()
    after = buckets()
    assert after != before or change == "transfer_kind"  # the change moved a count (d12's found month: Sept)
    assert_exact()


def table1(scope, period, user, today) -> list[tuple]:
    t1 = services.compute_table1(scope, period, user, today)
    return [(r.token, r.values) for r in t1["rows"] + [t1["total"]]]


def _live(monkeypatch):
    monkeypatch.setattr(summary, "usable", lambda user, unit: False)


@pytest.mark.parametrize("username", ["zhongxin", "cun03", "xian"])
def test_dashboard_and_table2_read_the_live_figures(october, monkeypatch, username):
    user = db.session.scalar(select(User).where(User.username == username))
    scope = services.default_scope(user)
    today = date(2026, 11, 29)
    start = date(2025, 12, 1)
    ytd = services.range_period(date(2026, 1, 1), today)
    periods = [services.month_period(2026, 10), services.parse_period("2026-Q4"), services.parse_period("2026")]
    assert summary.usable(user, scope.unit)
    from_summary = (dashboard._area_counts(user, scope, start, ytd, today),
                    dashboard._mediated_by_month(user, scope, start, today),
                    [services.compute_table2(scope, p, user, today)["rows"] for p in periods],
                    [table1(scope, p, user, today) for p in periods])
    _live(monkeypatch)
    live = (dashboard._area_counts(user, scope, start, ytd, today),
            dashboard._mediated_by_month(user, scope, start, today),
            [services.compute_table2(scope, p, user, today)["rows"] for p in periods],
            [table1(scope, p, user, today) for p in periods])
    assert from_summary == live
    assert from_summary[0]["found"], "the fixture's disputes are counted"


def test_grid_workers_count_live(october):
    user = db.session.scalar(select(User).where(User.username == "wangge03"))
    assert not summary.usable(user, services.default_scope(user).unit)


def test_rebuild_of_one_town_keeps_the_others(october):
    town = db.session.scalar(select(OrgUnit.id).where(OrgUnit.id == october["T"].id))
    summary.rebuild(db.session, town)
    assert buckets() and all(b[3] == town for b in buckets())


def test_rebuild_command(october, runner):
    db.session.execute(StatsMonth.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["rebuild-statistics"])
    assert result.exit_code == 0, result.output
    assert "统计汇总已重建" in result.output
    assert sum(b[6] for b in buckets() if b[0] == "F" and b[1] == 202610) == 7


def test_screening_returns_count_the_same_found(october, monkeypatch):
    user = db.session.scalar(select(User).where(User.username == "zhongxin"))
    scope, month = services.default_scope(user), services.month_period(2026, 10)
    from_summary = [(r["token"], r["found"], r["state"]) for r in services.return_status(scope, month, user)]
    _live(monkeypatch)
    assert from_summary == [(r["token"], r["found"], r["state"]) for r in services.return_status(scope, month, user)]
    assert any(found for _token, found, _state in from_summary)


def test_a_bulk_write_recomputes_whole_town_months(october, monkeypatch):
    """Past WHOLE_MONTH_FROM buckets in a town-month, the month is recomputed in one pass: same result."""
    monkeypatch.setattr(summary, "WHOLE_MONTH_FROM", 0)
    for name in ("d1", "d3", "d6"):
        db.session.get(Dispute, october["d"][name].id).category = "OTHER"
    db.session.commit()
    assert_exact()
    summary.refresh_disputes(db.session, [d.id for d in october["d"].values()])
    assert_exact()


def test_disputes_inserted_with_core_are_added(october, monkeypatch):
    """The bulk import's path: disputes inserted with Core, then added to the summary in one pass."""
    from bench.seed import bulk_seed
    before = buckets()
    first = db.session.scalar(select(func.max(Dispute.id))) + 1
    with monkeypatch.context() as patch:
        patch.setattr(summary, "rebuild", lambda *args: None)  # the seeder's own rebuild
        bulk_seed(30)
    assert buckets() == before  # Core inserts: not counted yet
    summary.add_new_disputes(db.session, range(first, first + 30))
    db.session.commit()
    assert buckets() != before
    assert_exact()
