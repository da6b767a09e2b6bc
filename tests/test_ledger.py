"""The ledger (台账): scope per role, filters, free text, sort, pages, masking, URL state."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.disputes.queries import ledger_query
from portal.disputes.services import assign_case_number, create_dispute, refresh_search_text
from portal.extensions import db
from portal.models.dispute import Dispute, Transfer
from portal.models.org import MediationCommittee, OrgUnit
from portal.timeutil import local_today

ID_ZHANG = "620599199001011234"
PHONE_ZHANG = "13800001234"


def unit(name: str) -> OrgUnit:
    """An org unit of the demo town by name (白沙村, 西坪村第一网格 …)."""
    return db.session.scalar(select(OrgUnit).where(OrgUnit.name == name))


def make_dispute(location: str, parties: list[dict], user: str = "zhongxin", **fields) -> Dispute:
    """Register a dispute through services.create_dispute and commit; ``fields`` may set anything."""
    from portal.models.user import User
    registrar = db.session.scalar(select(User).where(User.username == user))
    base = {"title": fields.pop("title", "测试纠纷"), "summary": fields.pop("summary", "测试摘要"),
            "category": fields.pop("category", "NEIGHBOUR"), "found_date": fields.pop("found_date", local_today())}
    party_rows = [{"side": "APPLICANT" if i == 0 else "RESPONDENT", "party_type": "PERSON", "id_type": "RESIDENT_ID",
                   **p} for i, p in enumerate(parties)]
    dispute, _ = create_dispute(user=registrar, location=unit(location), fields=base, parties=party_rows)
    for key, value in fields.items():
        setattr(dispute, key, value)
    db.session.commit()
    return dispute


@pytest.fixture
def ledger(app):
    """Five disputes in three villages (西坪村 is cun03's, its first grid wangge03's)."""
    today = local_today()
    d = {}
    d["grid"] = make_dispute("西坪村第一网格", [{"name": "张三", "id_number": ID_ZHANG, "phone": PHONE_ZHANG},
                                               {"name": "李四"}],
                             title="张某与李某邻里纠纷", summary="排水沟堵塞引发争吵", found_date=date(2026, 10, 5),
                             channel="SCREENING", handling_level="GRID")
    d["overdue"] = make_dispute("西坪村", [{"name": "王五", "phone": "13800005678"}], category="MARRIAGE_FAMILY",
                                title="王某婚姻家庭纠纷", found_date=date(2026, 9, 1), risk_level="RED",
                                status="MEDIATING", accepted_date=date(2026, 9, 2), deadline=today - timedelta(days=3),
                                channel="VISIT", major_flags=["GROUP_10"])
    d["other"] = make_dispute("白沙村第一网格", [{"name": "赵六", "id_number": "620599198506150024"}],
                              category="CONTRACT", title="赵某合同纠纷", found_date=date(2026, 8, 15),
                              risk_level="YELLOW", status="CLOSED", accepted_date=date(2026, 8, 16),
                              resolved_date=date(2026, 9, 10), result="AGREED_WRITTEN", handling_level="TOWN")
    d["percent"] = make_dispute("上庄村", [{"name": "孙七"}], title="孙某纠纷", category="OTHER", summary="完成率100%_待核实",
                                found_date=date(2026, 7, 1), status="REFERRED")
    d["soon"] = make_dispute("西坪村第二网格", [{"name": "周八"}], title="周某纠纷", category="DAMAGES", found_date=today - timedelta(days=2),
                             status="ACCEPTED", accepted_date=today - timedelta(days=1), deadline=today + timedelta(days=5))
    committee = db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == unit("西坪村").id))
    assign_case_number(d["overdue"], committee, date(2026, 9, 2))
    refresh_search_text(d["overdue"])
    db.session.add(Transfer(dispute=d["other"], kind="ESCALATE", reason="上报", from_level="VILLAGE", to_level="TOWN"))
    db.session.add(Transfer(dispute=d["percent"], kind="REFER", reason="移交", to_department="POLICE"))
    db.session.commit()
    return d


def rows(html: str) -> list[int]:
    """Dispute ids of the ledger rows in ``html``, in order."""
    return [int(i) for i in re.findall(r'<tr class="ledger-row[^"]*" id="dispute-(\d+)"', html)]


def total(html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def get(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("username, expected", [
    ("zhongxin", {"grid", "overdue", "other", "percent", "soon"}),
    ("lingdao", {"grid", "overdue", "other", "percent", "soon"}),
    ("cun03", {"grid", "overdue", "soon"}),
    ("wangge03", {"grid", "soon"}),
    ("cun01", {"other"}),
])
def test_each_role_sees_only_its_scope_and_the_count_equals_the_rows(client, auth, ledger, username, expected):
    auth.login(username)
    html = get(client, "/disputes/")
    assert set(rows(html)) == {ledger[key].id for key in expected}
    assert total(html) == len(expected)
    hidden = {"grid": "张三", "overdue": "王五", "other": "赵六", "percent": "孙七", "soon": "周八"}
    for key, name in hidden.items():
        assert (name in html) == (key in expected)


def test_cadre_filtering_on_another_village_gets_nothing(client, auth, ledger):
    auth.login("cun03")
    html = get(client, f"/disputes/?village={ledger['other'].village_id}")
    assert rows(html) == [] and total(html) == 0


@pytest.mark.parametrize("query, expected", [
    ("category=MARRIAGE_FAMILY", {"overdue"}),
    ("category=NEIGHBOUR&category=CONTRACT", {"grid", "other"}),
    ("status=open", {"grid", "overdue", "percent", "soon"}),
    ("status=done", {"other"}),
    ("status=CLOSED", {"other"}),
    ("risk=RED", {"overdue"}),
    ("overdue=1", {"overdue"}),
    ("due_soon=1", {"soon"}),
    ("handling_level=TOWN", {"other"}),
    ("channel=VISIT", {"overdue"}),
    ("found_from=2026-09-01&found_to=2026-10-05", {"grid", "overdue"}),
    ("found_from=2026年9月1日", {"grid", "overdue", "soon"}),
    ("accepted_from=2026-08-01&accepted_to=2026-09-30", {"overdue", "other"}),
    ("resolved_from=2026-09-01&resolved_to=2026-09-30", {"other"}),
    ("result=AGREED_WRITTEN", {"other"}),
    ("major=1", {"overdue"}),
    ("escalated=1", {"other"}),
    ("referred=1", {"percent"}),
    ("q=张　三", {"grid"}),
    ("q=张 三", {"grid"}),
    ("q=排水沟", {"grid"}),
    ("q=138-0000-1234", {"grid"}),
    ("q=+86 138 0000 5678", {"overdue"}),
    ("q=6205991990", {"grid"}),
    ("q=西坪人调字", {"overdue"}),
    ("q=%", {"percent"}),
    ("q=_", {"percent"}),
    ("q=100%_", {"percent"}),
    ("q=%25%25", set()),
])
def test_filters(client, auth, ledger, query, expected):
    auth.login("zhongxin")
    html = get(client, "/disputes/?" + query)
    assert set(rows(html)) == {ledger[key].id for key in expected}
    assert total(html) == len(expected)


def test_village_grid_ids_and_campaign_filters(client, auth, ledger):
    auth.login("zhongxin")
    assert set(rows(get(client, f"/disputes/?village={unit('西坪村').id}"))) == {
        ledger["grid"].id, ledger["overdue"].id, ledger["soon"].id}
    assert rows(get(client, f"/disputes/?grid={unit('西坪村第一网格').id}")) == [ledger["grid"].id]
    ids = f"{ledger['grid'].id},{ledger['other'].id}"
    assert set(rows(get(client, f"/disputes/?ids={ids}"))) == {ledger["grid"].id, ledger["other"].id}


def test_ledger_query_takes_plain_dicts(app, ledger, user):
    stmt = ledger_query(user("cun03"), {"status": "open", "sort": "-risk"})
    assert list(db.session.scalars(stmt)) == [ledger["overdue"], ledger["soon"], ledger["grid"]]
    count = db.session.scalar(select(func.count()).select_from(ledger_query(user("zhongxin"), {}).subquery()))
    assert count == 5


@pytest.mark.parametrize("sort, first, last", [
    ("-found", "soon", "percent"),
    ("found", "percent", "soon"),
    ("-risk", "overdue", None),
    ("deadline", "overdue", None),
    ("case_no", "overdue", None),
])
def test_sort(client, auth, ledger, sort, first, last):
    auth.login("zhongxin")
    order = rows(get(client, f"/disputes/?sort={sort}"))
    assert order[0] == ledger[first].id
    if last:
        assert order[-1] == ledger[last].id


def test_deadline_countdown_and_overdue_marks(client, auth, ledger):
    auth.login("zhongxin")
    html = get(client, "/disputes/")
    row = re.search(rf'<tr class="ledger-row is-overdue" id="dispute-{ledger["overdue"].id}">.*?</tr>', html, re.S)
    assert row and re.search(r'class="overdue">[^<]*3', row.group(0))
    soon = re.search(rf'id="dispute-{ledger["soon"].id}">.*?</tr>', html, re.S).group(0)
    assert re.search(r'class="due-soon">[^<]*5', soon)
    assert 'class="badge risk-RED"' in html


def test_ids_and_phones_are_masked(client, auth, ledger):
    auth.login("zhongxin")
    html = get(client, "/disputes/")
    assert ID_ZHANG not in html and PHONE_ZHANG not in html and "13800005678" not in html
    assert "620599********1234" in html and "138****1234" in html and "138****5678" in html
    html = get(client, "/disputes/?q=" + ID_ZHANG)  # searching by the full number still masks the rows
    assert rows(html) == [ledger["grid"].id]
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert ID_ZHANG not in table and "620599********1234" in table


def test_pages_of_twenty(client, auth, app):
    for i in range(25):
        make_dispute("西坪村", [{"name": f"测试{i}"}], found_date=date(2026, 1, 1) + timedelta(days=i))
    auth.login("cun03")
    first = get(client, "/disputes/")
    second = get(client, "/disputes/?page=2")
    assert len(rows(first)) == 20 and len(rows(second)) == 5 and total(first) == total(second) == 25
    assert not set(rows(first)) & set(rows(second))
    assert "?page=2" in first
    assert rows(get(client, "/disputes/?page=99")) == rows(second)  # past the end: the last page


def test_partial_fragment_full_page_and_history_restore(client, auth, ledger):
    auth.login("zhongxin")
    partial = client.get("/disputes/?risk=RED", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    text = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in text and 'id="ledger-results"' in text
    assert rows(text) == [ledger["overdue"].id]
    assert "HX-Request" in partial.headers.get("Vary", "")
    tidy = client.get("/disputes/?q=&village=&risk=RED&sort=-found", headers={"HX-Request": "true"})
    assert tidy.headers["HX-Push-Url"] == "/disputes/?risk=RED&sort=-found"  # no empty arguments in history
    restore = client.get("/disputes/?risk=RED", headers={"HX-History-Restore-Request": "true",
                                                          "HX-Request-Type": "full"})
    html = restore.get_data(as_text=True)
    assert "<html" in html and 'id="ledger-filters"' in html and rows(html) == [ledger["overdue"].id]
    assert re.search(r'<option value="RED" selected>', html)  # the filter form shows the URL's state


def test_filter_form_and_links_push_the_url(client, auth, ledger):
    auth.login("zhongxin")
    html = get(client, "/disputes/?category=NEIGHBOUR&sort=deadline")
    assert 'hx-push-url="true"' in html
    assert re.search(r'<option value="NEIGHBOUR" selected>', html)
    assert re.search(r'<option value="deadline" selected>', html)
    assert f'href="/disputes/{ledger["grid"].id}"' in html or 'href="/disputes/"' in html  # rows link to the case


def test_bad_arguments_never_fail(client, auth, ledger):
    auth.login("zhongxin")
    html = get(client, "/disputes/?found_from=2026-02-30&page=x&village=abc&sort=bogus&ids=1,x,-3&status=NOPE")
    assert 'class="field has-error"' in html  # the impossible date is flagged next to its field
    rng = random.Random(7)
    keys = ["q", "village", "grid", "category", "status", "risk", "page", "sort", "found_from", "accepted_to",
            "overdue", "ids", "campaign", "figure", "handling_level"]
    junk = ["", "%", "_", "\\", "'", "0", "-1", "99999999999999999999", "２０２６年１月１日", "<script>", "\x00", "a" * 500]
    for _ in range(60):
        query = {rng.choice(keys): rng.choice(junk) for _ in range(4)}
        response = client.get("/disputes/", query_string=query)
        assert response.status_code in (200, 404), query


def test_ledger_needs_login_and_view_right(client, auth):
    assert client.get("/disputes/").status_code == 302
    auth.login("admin")
    assert client.get("/disputes/").status_code == 200  # admins may view (dispute.view)
