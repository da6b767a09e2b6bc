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
    bulk_seed(300)  # every list has rows (major cases load parties and villages)
    auth.login("zhongxin")
    client.get(url)
    small = statements.of(client, url)
    bulk_seed(400, seed=2)
    assert statements.of(client, url) == small


def test_major_table_is_capped_with_a_ledger_link(app, client, auth, monkeypatch):
    """Table 4 lists the MAJOR_LIMIT most urgent major cases; the page links the rest to the ledger and
    the PDF says "另有N件，详见台账"; the header and the narrative count all of them."""
    import io

    from pypdf import PdfReader

    from portal.reports import services
    from tests.reports_fixture import build_october
    units = build_october()
    monkeypatch.setattr(services, "MAJOR_LIMIT", 1)
    url = f"/reports/T{units['T'].id}/2026-10"
    auth.login("zhongxin")
    html = client.get(url).get_data(as_text=True)
    table = html[html.index('id="major"'):]
    assert table[:table.index("</table>")].count("<tr><td") == 1
    assert 'id="major-more"' in html
    assert f"figure=major%7C2026-10%7CT{units['T'].id}" in html
    assert "重大矛盾纠纷2件" in html  # narrative counts all
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(url + "/report.pdf").data)).pages)
    assert "另有1件，详见台账" in text.replace(" ", "").replace("\n", "")
