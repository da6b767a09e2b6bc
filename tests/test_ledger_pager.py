"""The ledger's pager counts only up to queries.COUNT_CAP (or as far as the page asked for needs): below
the cap the count is exact, above it the page says "more than N" and always offers the next page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bench.seed import bulk_seed
from portal.disputes import queries
from portal.disputes.queries import ledger_page, ledger_query, parse_ledger_args
from portal.extensions import db
from tests.test_ledger import get, rows, total


def _count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(ledger_query(user, {}).subquery()))


@pytest.mark.parametrize("sort", ["-found", "-risk", "deadline", "case_no"])
def test_capped_pages_walk_the_same_rows_as_the_export(app, user, monkeypatch, sort):
    bulk_seed(7)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    zhongxin = user("zhongxin")
    expected = [d.id for d in db.session.scalars(ledger_query(zhongxin, {"sort": sort}))]
    pages = [ledger_page(zhongxin, parse_ledger_args({"sort": sort, "page": n}), per_page=2) for n in (1, 2, 3, 4)]
    assert len(expected) == 7 and [d.id for p in pages for d in p.items] == expected
    first, second, *_, last = pages
    assert first.capped and first.total == 2 and first.has_next and first.next_num == 2  # counted 3 of 7
    assert second.capped and second.total == 4 and second.has_next
    assert not last.capped and last.total == 7 and last.pages == 4 and not last.has_next
    past = ledger_page(zhongxin, parse_ledger_args({"sort": sort, "page": 9}), per_page=2)
    assert past.page == 4 and not past.capped and [d.id for d in past.items] == expected[6:]


def test_page_says_more_than_the_cap_and_keeps_a_next_link(client, auth, app, user, monkeypatch):
    bulk_seed(45)
    monkeypatch.setattr(queries, "COUNT_CAP", 30)
    count = _count(user("zhongxin"))
    assert count > 40
    auth.login("zhongxin")
    html = get(client, "/disputes/")
    assert total(html) == 30 and 'data-capped="true"' in html
    assert "超过30件纠纷" in html and "第1页，共2多页" in html
    assert len(rows(html)) == 20 and "?page=2" in html
    last = get(client, "/disputes/?page=3")  # counts as far as page 3 needs: every row, exactly
    assert total(last) == count and "data-capped" not in last
    assert f"第3页，共{-(-count // 20)}页" in last and len(rows(last)) == count - 40
    partial = client.get("/disputes/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "超过40件纠纷" in partial and re.search(r"\?page=3", partial)


def test_village_filter_counts_without_the_scope_only_inside_the_scope(client, auth, app, user):
    """The count of a village filter inside the user's area runs on the village's index alone; outside
    the area (a cadre asking for another village) the scope still applies: nothing."""
    from portal.models.org import OrgUnit
    bulk_seed(60)
    village = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "西坪村"))
    other = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "白沙村"))
    in_village = db.session.scalar(select(func.count()).select_from(
        ledger_query(user("zhongxin"), {"village": village.id}).subquery()))
    assert in_village > 0
    auth.login("zhongxin")
    html = get(client, f"/disputes/?village={village.id}")
    assert total(html) == in_village
    auth.login("cun03")  # 西坪村's cadre
    assert total(get(client, f"/disputes/?village={village.id}")) == in_village
    html = get(client, f"/disputes/?village={other.id}")
    assert total(html) == 0 and rows(html) == []
    html = get(client, f"/disputes/?grid={db.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id == other.id))}")
    assert total(html) == 0 and rows(html) == []
