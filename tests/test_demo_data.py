"""Demo disputes (seed-demo): a realistic, deterministic, idempotent year for 白沙镇."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.disputes import demo
from portal.extensions import db
from portal.models.dispute import OPEN_STATUSES, Campaign, Dispute, DisputeEvent, Party, Transfer
from portal.timeutil import local_today
from portal.validation import parse_resident_id


@pytest.fixture
def seeded(app):
    from portal.seed import seed_demo
    seed_demo()
    db.session.commit()
    return list(db.session.scalars(select(Dispute)))


def test_a_year_of_disputes_spread_realistically(seeded):
    """One seeding, checked from every side (seeding takes a few seconds)."""
    disputes = seeded
    assert 300 <= len(disputes) <= 500
    today = local_today()
    assert min(d.found_date for d in disputes) > today - timedelta(days=366)
    assert max(d.found_date for d in disputes) <= today
    assert max(d.found_date for d in disputes) > today - timedelta(days=7)  # fresh work whenever it is seeded
    months = Counter(d.found_date.month for d in disputes)
    assert len(months) == 12
    assert months[3] + months[4] > months[7] + months[8]  # more in spring
    categories = Counter(d.category for d in disputes).most_common()
    assert {categories[0][0], categories[1][0]} == {"NEIGHBOUR", "MARRIAGE_FAMILY"}
    assert len({d.village_id for d in disputes}) == 14 and len({d.grid_id for d in disputes}) > 30
    assert len({d.channel for d in disputes}) >= 6 and len({d.finder_force for d in disputes}) == 6
    risks = Counter(d.risk_level for d in disputes)
    assert risks["GREEN"] > risks["YELLOW"] > risks["RED"] > 0
    assert all(d.responsible_leader_id for d in disputes if d.risk_level == "RED")
    assert sum(1 for d in disputes if d.campaign_id) > 10
    assert all(c.end_date <= today for c in db.session.scalars(select(Campaign)))
    _states_are_varied_and_consistent(seeded)
    _parties_are_invented_with_valid_synthetic_ids(seeded)


def _states_are_varied_and_consistent(seeded):
    statuses = Counter(d.status for d in seeded)
    done = statuses["CLOSED"] + statuses["PERFORMED"] + statuses["RESOLVED_ON_SPOT"]
    assert done > len(seeded) / 2
    for status in ("REPORTED", "ACCEPTED", "MEDIATING", "NOT_ACCEPTED", "WITHDRAWN", "FAILED", "PERFORMING"):
        assert statuses[status] + (statuses["CLOSED"] if status == "FAILED" else 0) > 0, status
    today = local_today()
    overdue = [d for d in seeded if d.status in OPEN_STATUSES and d.deadline and d.deadline < today]
    assert overdue
    assert {d.handling_level for d in seeded} >= {"GRID", "VILLAGE", "TOWN", "COUNTY", "DEPARTMENT"}
    kinds = Counter(t.kind for t in db.session.scalars(select(Transfer)))
    assert kinds["ESCALATE"] and kinds["REFER"]
    for d in seeded:
        if d.accepted_date:
            assert d.case_no and d.deadline == d.accepted_date + timedelta(days=30)
            assert d.found_date <= d.accepted_date <= today
            assert d.case_no.replace("（", "").replace("）", "") in d.search_text.replace("（", "").replace("）", "")
        else:
            assert d.case_no is None
        if d.resolved_date:
            assert d.resolved_date >= (d.accepted_date or d.found_date)
        if d.status == "CLOSED":
            assert d.result and d.closed_date
        if d.result in ("AGREED_WRITTEN", "AGREED_ORAL"):
            assert d.agreement_form in ("WRITTEN", "ORAL")
        events = d.events
        assert events[0].action == "REGISTERED" and events[-1].to_status == d.status
        assert all(a.at <= b.at for a, b in zip(events, events[1:]))


def _parties_are_invented_with_valid_synthetic_ids(seeded):
    parties = list(db.session.scalars(select(Party)))
    assert len(parties) >= 2 * len(seeded)
    for party in parties:
        assert "某" in party.name and party.name_norm == party.name
        if party.id_number:
            parsed = parse_resident_id(party.id_number)
            assert party.id_number.startswith("620599") and parsed.sex == party.sex
            assert parsed.birth_date == party.birth_date
        if party.phone:
            assert party.phone.startswith("1380000") and len(party.phone) == 11


def test_running_twice_adds_nothing_and_the_ledger_shows_it(seeded, client, auth):
    from portal.seed import seed_demo
    counts = [db.session.scalar(select(func.count(model.id))) for model in (Dispute, Party, DisputeEvent, Transfer)]
    seed_demo()
    db.session.commit()
    assert [db.session.scalar(select(func.count(model.id)))
            for model in (Dispute, Party, DisputeEvent, Transfer)] == counts
    auth.login("zhongxin")
    response = client.get("/disputes/?status=open&sort=deadline")
    assert response.status_code == 200 and 'class="overdue"' in response.get_data(as_text=True)


@pytest.mark.parametrize("today", [date(2026, 11, 29), date(2026, 12, 2), date(2027, 3, 1)])
def test_the_demo_year_ends_on_the_day_of_seeding(app, monkeypatch, today):
    """Seeded on any day, the demo has cases awaiting acceptance and open cases past their deadline."""
    from portal.seed import seed_demo
    monkeypatch.setattr(demo, "local_today", lambda: today)
    seed_demo()
    db.session.commit()
    disputes = list(db.session.scalars(select(Dispute)))
    assert max(d.found_date for d in disputes) <= today
    statuses = Counter(d.status for d in disputes)
    assert statuses["REPORTED"] and statuses["MEDIATING"]
    assert any(d.status in OPEN_STATUSES and d.deadline and d.deadline < today for d in disputes)


def test_deterministic_dates_and_ids():
    assert demo._found_dates(random.Random(1), 50, date(2026, 11, 28)) == demo._found_dates(
        random.Random(1), 50, date(2026, 11, 28))
    number = demo.synthetic_id(random.Random(5), date(1980, 2, 29), male=False)
    assert parse_resident_id(number).sex == "F" and parse_resident_id(number).birth_date == date(1980, 2, 29)
