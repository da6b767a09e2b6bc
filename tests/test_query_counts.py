"""The ledger and the case page send a bounded number of SQL statements, whatever the number of
disputes, parties, events and records: no N+1 (issue 7). Statement counts are not timings, so they are
asserted here; the timings themselves are in bench/ (``make bench``)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bench.seed import bulk_seed
from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent, Party
from portal.timeutil import now_utc


class StatementCounter:
    """Counts the statements the app's engine sends (``before_cursor_execute``)."""

    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def of(self, client, url: str) -> int:
        """Statements sent by one GET of ``url`` (which must answer 200)."""
        start = self.count
        response = client.get(url)
        assert response.status_code == 200, url
        return self.count - start


@pytest.fixture
def statements(app):
    counter = StatementCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine, "before_cursor_execute", counter)


def _require(app, endpoint: str) -> None:
    if endpoint not in app.view_functions:
        pytest.skip(f"{endpoint} has not landed")


@pytest.mark.parametrize("url", ["/disputes/", "/disputes/?page=2", "/disputes/?q=某", "/disputes/?status=open"])
def test_ledger_statements_do_not_grow_with_the_ledger(app, client, auth, statements, url):
    _require(app, "disputes.ledger")
    bulk_seed(40)
    auth.login("zhongxin")
    client.get(url)  # first request of the app: per-process caches
    small = statements.of(client, url)
    bulk_seed(400, seed=2)
    assert statements.of(client, url) == small


def test_ledger_statements_of_the_town_clerk(app, client, auth, statements):
    """The town clerk's first page: BEGIN, the user and their unit (login, scope), the capped count, the
    rows with their units, the parties, the dictionaries (one query), and for the whole page the filter
    form's units (one recursive query) and campaigns. The htmx fragment skips the last two."""
    _require(app, "disputes.ledger")
    bulk_seed(40)
    auth.login("zhongxin")
    client.get("/disputes/")
    assert statements.of(client, "/disputes/") == 9
    start = statements.count
    assert client.get("/disputes/", headers={"HX-Request": "true"}).status_code == 200
    assert statements.count - start == 7


def _add_history(dispute: Dispute, n: int) -> None:
    """Give ``dispute`` ``n`` more parties, events, mediation sessions and follow-ups."""
    from portal.models import records
    start = now_utc() - timedelta(days=20)
    for i in range(n):
        db.session.add(Party(dispute_id=dispute.id, side="RESPONDENT", sort=i + 1, party_type="PERSON",
                             name=f"钱某{i}", name_norm=f"钱某{i}", id_type="RESIDENT_ID"))
        db.session.add(DisputeEvent(dispute_id=dispute.id, at=start + timedelta(hours=i), action="NOTE",
                                    note=f"第{i}条记录", changes=[]))
        db.session.add(records.MediationSession(dispute_id=dispute.id, session_no=i + 1,
                                                held_at=start + timedelta(days=i), subject="调解事项",
                                                result="继续调解", parties_present=[], mediators=[]))
        db.session.add(records.FollowUp(dispute_id=dispute.id, visited=[], visited_at=start + timedelta(days=i),
                                        method="PHONE", performance_status="PERFORMED", findings="已履行",
                                        visitor="孙某华"))
    db.session.commit()


def test_case_page_statements_do_not_grow_with_its_history(app, client, auth, statements):
    _require(app, "disputes.case")
    bulk_seed(3)
    dispute = db.session.scalars(select(Dispute).order_by(Dispute.id).limit(1)).one()
    _add_history(dispute, 1)
    auth.login("zhongxin")
    url = f"/disputes/{dispute.id}"
    client.get(url)
    small = statements.of(client, url)
    _add_history(dispute, 10)
    assert statements.of(client, url) == small


def test_case_page_statements_of_the_town_clerk(app, client, auth, statements):
    """The case page: BEGIN, the user and their unit (login, scope), the dispute with its units, committee,
    leader and parties, its mediators, transfers and events, the dictionaries (one query), which kinds of
    record the case has, then one statement per kind it has (here sessions and follow-ups)."""
    _require(app, "disputes.case")
    bulk_seed(3)
    dispute = db.session.scalars(select(Dispute).order_by(Dispute.id).limit(1)).one()
    _add_history(dispute, 2)
    auth.login("zhongxin")
    url = f"/disputes/{dispute.id}"
    client.get(url)
    assert statements.of(client, url) == 11
