"""The dashboard and the monthly report send a bounded number of SQL statements, whatever the number
of disputes (issue 7): the figures come from a few GROUP BY queries, never from one query per row,
village, month or tile. Timings are in bench/ (``make bench``); statement counts are asserted here."""
from __future__ import annotations

import pytest

from bench.seed import bulk_seed
from tests.test_query_counts import StatementCounter  # noqa: F401  (fixture helper)
from tests.test_query_counts import statements  # noqa: F401  (fixture)


@pytest.mark.parametrize("username", ["zhongxin", "cun03", "wangge03", "xian"])
def test_dashboard_statements_do_not_grow_with_the_ledger(client, auth, statements, username):
    bulk_seed(100)  # enough for every list to have rows (red-risk cases load their villages)
    auth.login(username)
    client.get("/")  # first request: per-process caches
    small = statements.of(client, "/")
    assert small <= 25
    bulk_seed(400, seed=2)
    assert statements.of(client, "/") == small


def test_report_statements_do_not_grow_with_the_ledger(app, client, auth, statements):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models.org import OrgUnit
    town = db.session.scalar(select(OrgUnit.id).where(OrgUnit.level == "TOWN"))
    url = f"/reports/T{town}/2026-10"
    bulk_seed(40)
    auth.login("zhongxin")
    client.get(url)
    small = statements.of(client, url)
    bulk_seed(400, seed=2)
    assert statements.of(client, url) == small
