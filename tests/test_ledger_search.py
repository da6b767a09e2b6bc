"""Ledger free text on the search index of migration 0008: 1-, 2- and ≥3-character keys, normalised
input, literal % and _, the index kept in step with edits, and no leak across scopes."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from portal.disputes.services import refresh_search_text
from portal.extensions import db
from tests.test_ledger import get, ledger, make_dispute, rows, total  # noqa: F401 (fixture)


@pytest.mark.parametrize("q, expected", [
    ("张", {"grid"}),                # 1 character: scan (LIKE)
    ("排水", {"grid"}),              # 2 characters: scan
    ("排水沟堵", {"grid"}),          # ≥ 3: trigram index
    ("张　三", {"grid"}),            # full-width space folded like storage
    ("ＺＨＡＮＧ", set()),
    ("%", {"percent"}), ("_", {"percent"}), ("0%_", {"percent"}), ("1000%", set()), ("%%", set()),
    ("13800005678", {"overdue"}),    # phone, ≥ 3
    ("西坪人调字第", {"overdue"}),    # case number
])
def test_search_lengths(client, auth, ledger, q, expected):
    auth.login("zhongxin")
    html = get(client, f"/disputes/?q={q.replace('%', '%25')}")
    assert set(rows(html)) == {ledger[key].id for key in expected}
    assert total(html) == len(expected)


@pytest.mark.parametrize("q", ["赵六", "赵", "合同纠", "620599198506150024"])
def test_search_never_leaks_another_village(client, auth, ledger, q):
    auth.login("cun03")  # 赵六's dispute is in 白沙村
    html = get(client, f"/disputes/?q={q}")
    assert rows(html) == [] and total(html) == 0 and f'id="dispute-{ledger["other"].id}"' not in html


def test_index_follows_edits_and_deletes(client, auth, ledger):
    dispute = ledger["grid"]
    dispute.summary = "鱼塘承包到期争议"
    refresh_search_text(dispute)
    db.session.commit()
    auth.login("zhongxin")
    assert rows(get(client, "/disputes/?q=鱼塘承包")) == [dispute.id]
    assert rows(get(client, "/disputes/?q=排水沟")) == []
    new = make_dispute("西坪村", [{"name": "欧阳明月"}], summary="新登记的山林权属纠纷")
    assert rows(get(client, "/disputes/?q=山林权属")) == [new.id]
    db.session.delete(new)
    db.session.commit()
    assert rows(get(client, "/disputes/?q=山林权属")) == []


def test_search_index_objects_exist_after_migrations(app):
    """A later batch migration rebuilding ``dispute`` would drop the triggers silently: fail here."""
    names = set(db.session.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'dispute_fts%'")).scalars())
    assert {"dispute_fts", "dispute_fts_ai", "dispute_fts_ad", "dispute_fts_au"} <= names


@pytest.mark.parametrize("sort", ["found", "-found", "risk", "-risk", "deadline", "-deadline", "case_no", "-case_no"])
def test_pages_follow_the_export_order(app, ledger, user, sort):
    """ledger_page (segments walked by index) gives the rows and order of ledger_query (the export)."""
    from portal.disputes.queries import ledger_page, ledger_query, parse_ledger_args
    args = parse_ledger_args({"sort": sort})
    expected = [d.id for d in db.session.scalars(ledger_query(user("zhongxin"), args))]
    pages = [ledger_page(user("zhongxin"), parse_ledger_args({"sort": sort, "page": n}), per_page=2) for n in (1, 2, 3)]
    assert [d.id for p in pages for d in p.items] == expected
    assert pages[0].total == len(expected) and pages[2].page == 3 and not pages[2].has_next
