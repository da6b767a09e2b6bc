"""Intake (排查登记): every normalisation and validation rule, double submission, the htmx party rows
and the repeat-dispute warning (scoped)."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent
from portal.timeutil import local_today
from tests.test_ledger import make_dispute, unit

KEY = "test-submission-key-0001"


def count() -> int:
    return db.session.scalar(select(func.count(Dispute.id)))


def form(location: str = "西坪村第一网格", key: str = KEY, parties: list[dict] | None = None, **fields) -> dict:
    """Valid intake form data located at ``location``; ``fields`` override, ``parties`` replace rows."""
    data = {"submission_key": key, "location": str(unit(location).id), "category": "NEIGHBOUR",
            "summary": "两家因排水沟堵塞发生争吵", "risk_level": "GREEN"}
    rows = parties if parties is not None else [{"name": "张三", "phone": "13800001234"}, {"name": "李四"}]
    for i, row in enumerate(rows):
        defaults = {"side": "APPLICANT" if i == 0 else "RESPONDENT", "id_type": "RESIDENT_ID"}
        for name, value in {**defaults, **row}.items():
            data[f"parties-{i}-{name}"] = value
    data.update(fields)
    return data


def post(client, data: dict, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/disputes/new", data=data, headers=headers)


def only_dispute() -> Dispute:
    return db.session.scalars(select(Dispute)).one()


def error_of(html: str, field_id: str) -> str:
    """The error message rendered next to the field ``field_id`` ('' when there is none)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


@pytest.fixture
def wangge(auth):
    auth.login("wangge03")


def test_quick_entry_registers_a_dispute(client, wangge, user):
    response = post(client, form())
    assert response.status_code == 303
    dispute = only_dispute()
    assert dispute.title == "张某与李某邻里纠纷"  # suggested from parties and category
    assert dispute.status == "REPORTED" and dispute.handling_level == "GRID"
    assert dispute.found_date == local_today() and dispute.grid.name == "西坪村第一网格"
    assert dispute.village.name == "西坪村" and dispute.registrar == user("wangge03")
    assert [(p.side, p.name, p.phone) for p in dispute.parties] == [
        ("APPLICANT", "张三", "13800001234"), ("RESPONDENT", "李四", None)]
    assert [e.action for e in dispute.events] == ["REGISTERED"]
    assert dispute.ledger_serial == 1
    assert "张三" in dispute.search_text


def test_full_registration_fields_are_stored(client, wangge):
    response = post(client, form(
        title="自定标题", found_date="2026-03-01", finder_name="赵某", finder_force="SECURITY_HOUSEHOLD_HEAD",
        screening_method="ROUTINE", channel="VISIT", source="APPLICATION", address="西坪村3组",
        persons_involved="12", amount_involved="1.2万元", wage_arrears="y", public_opinion_risk="y",
        criminal_risk="y", major_flags=["GROUP_10", "AMOUNT_100K"], measures=["VISIT_TALK"], claims="1. 疏通水沟",
        risk_level="RED"))
    assert response.status_code == 303
    d = only_dispute()
    assert (d.title, d.found_date, d.finder_name, d.finder_force, d.channel, d.source) == (
        "自定标题", date(2026, 3, 1), "赵某", "SECURITY_HOUSEHOLD_HEAD", "VISIT", "APPLICATION")
    assert (d.persons_involved, str(d.amount_involved), d.wage_arrears, d.public_opinion_risk, d.criminal_risk) == (
        12, "12000.00", True, True, True)
    assert d.major_flags == ["GROUP_10", "AMOUNT_100K"] and d.measures == ["VISIT_TALK"] and d.risk_level == "RED"
    assert d.claims == "1. 疏通水沟" and d.address == "西坪村3组" and d.ledger_year == 2026


@pytest.mark.parametrize("typed, stored, sex, birth", [
    ("11010519491231002X", "11010519491231002X", "F", date(1949, 12, 31)),
    ("11010519491231002x", "11010519491231002X", "F", date(1949, 12, 31)),           # lower-case x
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "F", date(1949, 12, 31)),  # full-width
    ("110105 19491231 002X", "11010519491231002X", "F", date(1949, 12, 31)),          # spaces
    ("620599199001011234", "620599199001011234", "M", date(1990, 1, 1)),
])
def test_valid_resident_ids_are_normalised_and_derive_sex_and_age(client, wangge, typed, stored, sex, birth):
    assert post(client, form(parties=[{"name": "张三", "id_number": typed}])).status_code == 303
    party = only_dispute().parties[0]
    assert (party.id_number, party.sex, party.birth_date, party.id_upgraded_from) == (stored, sex, birth, None)
    today = local_today()
    assert party.age == today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def test_fifteen_digit_id_is_upgraded_with_a_visible_note(client, wangge):
    response = post(client, form(parties=[{"name": "张三", "id_number": "110105491231002"}]))
    assert response.status_code == 303
    party = only_dispute().parties[0]
    assert party.id_number == "11010519491231002X" and party.id_upgraded_from == "110105491231002"
    event = db.session.scalars(select(DisputeEvent)).one()
    assert "110105491231002" in event.note  # the timeline says so
    # When the form is shown again (another field wrong) the row shows the upgraded number and the note.
    html = post(client, form(key="other-key-000000001", category="",
                             parties=[{"name": "张三", "id_number": "110105491231002"}])).get_data(as_text=True)
    assert 'class="note id-upgraded"' in html and "110105491231002" in html and 'value="11010519491231002X"' in html


@pytest.mark.parametrize("typed", [
    "110105194912310021",  # wrong check character
    "110105194902301234",  # 30 February
    "620599209901011236",  # born in 2099 (check character correct)
    "990105194912310028",  # no such province
    "1101051949123",       # too short
    "11010519491231002Y",  # not a digit or X
    "11010549123100A",     # 15 characters, not all digits
])
def test_invalid_resident_ids_are_refused_next_to_the_field(client, wangge, typed):
    response = post(client, form(parties=[{"name": "张三", "id_number": typed}, {"name": "李四"}]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count() == 0
    assert error_of(html, "parties-0-id_number")
    assert 'value="张三"' in html and 'value="李四"' in html  # everything typed is kept
    assert "两家因排水沟堵塞发生争吵" in html


def test_other_id_types_are_not_checked_as_resident_ids(client, wangge):
    rows = [{"name": "约翰", "id_type": "PASSPORT", "id_number": "ｅ１２３４５６７８"}]
    assert post(client, form(parties=rows)).status_code == 303
    party = only_dispute().parties[0]
    assert (party.id_type, party.id_number, party.sex, party.birth_date) == ("PASSPORT", "E12345678", None, None)


def test_sex_contradicting_the_id_is_an_error(client, wangge):
    response = post(client, form(parties=[{"name": "张三", "id_number": "11010519491231002X", "sex": "M"}]))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and error_of(html, "parties-0-sex")
    assert re.search(r'<details class="party-more" open>', html)  # the folded section opens on its error


@pytest.mark.parametrize("typed, stored", [
    ("13800001234", "13800001234"),
    ("+86 138-0000-1234", "13800001234"),
    ("138 0000 1234", "13800001234"),
    ("１３８００００１２３４", "13800001234"),
    ("0086 13800001234", "13800001234"),
    ("0931-8123456", "09318123456"),
])
def test_phones_are_normalised(client, wangge, typed, stored):
    assert post(client, form(parties=[{"name": "张三", "phone": typed}])).status_code == 303
    assert only_dispute().parties[0].phone == stored


@pytest.mark.parametrize("typed", ["12345", "2380000123", "138000012345", "电话"])
def test_bad_phones_are_refused(client, wangge, typed):
    response = post(client, form(parties=[{"name": "张三", "phone": typed}]))
    assert response.status_code == 422 and error_of(response.get_data(as_text=True), "parties-0-phone")
    assert count() == 0


@pytest.mark.parametrize("typed, stored", [
    ("2026-03-01", date(2026, 3, 1)),
    ("２０２６年３月１日", date(2026, 3, 1)),
    ("2026.3.1", date(2026, 3, 1)),
])
def test_found_date_forms(client, wangge, typed, stored):
    assert post(client, form(found_date=typed)).status_code == 303
    assert only_dispute().found_date == stored


@pytest.mark.parametrize("typed", ["2026-02-30", "2026-13-01", "昨天", "1999-12-31",
                                   (local_today() + timedelta(days=1)).isoformat()])
def test_impossible_old_and_future_found_dates_are_refused(client, wangge, typed):
    response = post(client, form(found_date=typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and error_of(html, "found_date") and count() == 0
    assert '<details class="more" open>' in html  # the error is not hidden in the folded section


def test_today_in_shanghai_is_accepted(client, wangge):
    assert post(client, form(found_date=local_today().isoformat())).status_code == 303


def test_at_least_one_party_and_blank_rows_ignored(client, wangge):
    response = post(client, form(parties=[{"name": ""}, {"name": "", "phone": ""}]))
    assert response.status_code == 422 and 'id="parties-error"' in response.get_data(as_text=True)
    assert post(client, form(parties=[{"name": ""}, {"name": "李四"}])).status_code == 303
    assert [p.name for p in only_dispute().parties] == ["李四"]


def test_a_party_needs_a_name(client, wangge):
    response = post(client, form(parties=[{"name": "", "phone": "13800001234"}]))
    assert response.status_code == 422 and error_of(response.get_data(as_text=True), "parties-0-name")


def test_names_are_normalised(client, wangge):
    assert post(client, form(parties=[{"name": "  张　三  "}, {"name": "ＡＢＣ公司"}])).status_code == 303
    assert [(p.name, p.name_norm) for p in only_dispute().parties] == [("张 三", "张三"), ("ABC公司", "abc公司")]


@pytest.mark.parametrize("field, value", [("category", ""), ("category", "NOPE"), ("summary", ""),
                                          ("risk_level", "PURPLE"), ("location", ""), ("location", "abc"),
                                          ("amount_involved", "-5"), ("amount_involved", "12.345"),
                                          ("persons_involved", "0"), ("persons_involved", "many"),
                                          ("persons_involved", "1" * 400),
                                          ("campaign", "999999")])
def test_required_and_choice_fields(client, wangge, field, value):
    data = form()
    data[field] = value
    response = post(client, data)
    assert response.status_code == 422 and count() == 0
    assert error_of(response.get_data(as_text=True), field)


def test_location_outside_the_users_scope_is_refused(client, wangge):
    outside = form()
    outside["location"] = str(unit("白沙村第一网格").id)
    assert post(client, outside).status_code == 422
    third_grid_of_own_village = form("西坪村第二网格")  # wangge03 covers only the first two grids …
    assert post(client, third_grid_of_own_village).status_code == 303  # … of which this is one
    assert count() == 1


def test_grid_worker_sees_only_own_grids_and_cadre_the_village(client, auth):
    auth.login("wangge03")
    html = client.get("/disputes/new").get_data(as_text=True)
    assert "西坪村第一网格" in html and "白沙村第一网格" not in html and "(whole village)" not in html
    auth.login("cun03")
    html = client.get("/disputes/new").get_data(as_text=True)
    assert "西坪村第一网格" in html and "白沙村" not in html.split('id="location"')[1].split("</select>")[0]


def test_double_submission_creates_one_dispute(client, wangge):
    first = post(client, form())
    second = post(client, form())
    third = post(client, form(), htmx=True)
    assert first.status_code == second.status_code == 303 and third.status_code == 200
    assert count() == 1
    assert first.headers["Location"] == second.headers["Location"] == third.headers["HX-Redirect"]
    assert post(client, form(key="another-key-000000001")).status_code == 303
    assert count() == 2


def test_tampered_submission_key_still_registers_once(client, wangge):
    assert post(client, form(key="x")).status_code == 303
    assert len(only_dispute().submission_key) >= 32


def test_htmx_error_answers_the_form_fragment_with_422(client, wangge):
    response = post(client, form(category=""), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and html.lstrip().startswith("<form id=\"intake-form\"")
    assert 'hx-disable="find button[type=submit]"' in html and f'value="{KEY}"' in html


def test_htmx_success_redirects_to_the_case_page(client, wangge, app):
    response = post(client, form(), htmx=True)
    assert response.status_code == 200
    dispute = only_dispute()
    expected = f"/disputes/{dispute.id}" if "disputes.case" in app.view_functions else "/disputes/"
    assert response.headers["HX-Redirect"] == expected


def test_new_form_gives_a_fresh_key_and_defaults(client, wangge):
    first = client.get("/disputes/new").get_data(as_text=True)
    second = client.get("/disputes/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', first)
    assert key and key.group(1) not in second
    assert 'value="GRID_WORKER" selected' in first or 'selected value="GRID_WORKER"' in first
    assert first.count('class="party-row"') == 2


@pytest.mark.parametrize("username, status", [("xian", 403), ("admin", 403), ("lingdao", 403), ("zhongxin", 200),
                                              ("cun03", 200), ("tiaojie", 200)])
def test_who_may_register(client, auth, username, status):
    auth.login(username)
    assert client.get("/disputes/new").status_code == status


def test_party_rows_are_added_and_removed_in_place(client, wangge):
    html = client.get("/disputes/new/party?index=3").get_data(as_text=True)
    assert 'name="parties-3-name"' in html and 'id="party-3"' in html
    assert 'hx-swap-oob="true"' in html and "/disputes/new/party?index=4" in html
    assert client.get("/disputes/new/party/remove").get_data(as_text=True) == ""
    # Rows with gaps in their numbers are read in order.
    data = form(parties=[])
    data.update({"parties-0-name": "张三", "parties-0-side": "APPLICANT", "parties-5-name": "李四",
                 "parties-5-side": "RESPONDENT"})
    assert post(client, data).status_code == 303
    assert [p.name for p in only_dispute().parties] == ["张三", "李四"]


def test_fuzzed_input_never_fails(client, wangge):
    rng = random.Random(3)
    junk = ["", " ", "０", "1" * 400, "\x00", "\u3000", "<b>x</b>", "'; drop table dispute;--", "%_\\", "2026-02-30",
            "１３８", "x" * 5000, "-1", "9" * 30, "GREEN", "RESIDENT_ID", "APPLICANT", "张三", "𠮷", "\ud7ff"]
    fields = ["location", "category", "summary", "risk_level", "title", "found_date", "finder_force", "channel",
              "source", "campaign", "persons_involved", "amount_involved", "major_flags", "measures", "claims",
              "submission_key", "wage_arrears"]
    party_fields = ["side", "party_type", "name", "phone", "id_type", "id_number", "sex", "ethnicity", "address"]
    for i in range(80):
        data = form(key=f"fuzz-key-{i:012d}")
        for _ in range(rng.randint(1, 6)):
            data[rng.choice(fields)] = rng.choice(junk)
        for _ in range(rng.randint(0, 6)):
            index = rng.choice(["0", "1", "7", "99999999999999", "-1", "x"])
            data[f"parties-{index}-{rng.choice(party_fields)}"] = rng.choice(junk)
        response = post(client, data, htmx=rng.random() < 0.5)
        assert response.status_code in (200, 303, 422), (response.status_code, data)


def test_too_many_party_rows_are_capped(client, wangge):
    rows = [{"name": f"当事人{i}"} for i in range(30)]
    assert post(client, form(parties=rows)).status_code == 303
    assert len(only_dispute().parties) == 20


# --------------------------------------------------------------------------
# Repeat-dispute warning
# --------------------------------------------------------------------------

@pytest.fixture
def earlier(app):
    """张三 has disputes in 西坪村 (cun03) and 白沙村 (cun01); 王五 only in 白沙村."""
    return {
        "xiping": make_dispute("西坪村", [{"name": "张三", "id_number": "620599199001011234"}],
                               category="MARRIAGE_FAMILY", found_date=date(2026, 5, 1)),
        "baisha": make_dispute("白沙村", [{"name": "张三"}, {"name": "王五", "id_number": "11010519491231002X"}],
                               found_date=date(2026, 6, 1)),
    }


def repeat(client, **args) -> str:
    response = client.get("/disputes/repeat-check", query_string=args, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_repeat_warning_by_name_and_id_is_scoped(client, auth, earlier):
    auth.login("cun03")
    html = repeat(client, **{"parties-0-name": "张 三"})
    assert "2026-05-01" in html and "2026-06-01" not in html and "王五" not in html
    assert repeat(client, **{"parties-1-name": "王五"}).strip() == ""  # another village's person: nothing
    assert repeat(client, **{"parties-1-id_number": "11010519491231002x"}).strip() == ""
    html = repeat(client, **{"parties-0-id_number": "６２０５９９１９９００１０１１２３４"})
    assert "2026-05-01" in html
    auth.login("zhongxin")
    html = repeat(client, **{"parties-0-name": "张三"})
    assert "2026-05-01" in html and "2026-06-01" in html and "王五" in html
    assert "2026-06-01" in repeat(client, **{"parties-0-id_number": "110105491231002"})  # 15 digits upgraded


def test_repeat_warning_shows_context_and_ignores_short_input(client, auth, earlier):
    auth.login("zhongxin")
    html = repeat(client, name="张三")
    assert "2026-05-01" in html and 'class="status"' in html and 'target="_blank"' in html
    assert repeat(client, name="张").strip() == "" and repeat(client).strip() == ""
    assert repeat(client, name="%").strip() == ""


def test_party_inputs_ask_for_the_warning_while_typing(client, wangge):
    html = client.get("/disputes/new").get_data(as_text=True)
    name_input = re.search(r'<input[^>]*name="parties-0-name"[^>]*>', html).group(0)
    assert 'hx-get="/disputes/repeat-check"' in name_input and 'hx-trigger="input changed delay:600ms"' in name_input
    assert 'hx-target="#party-0-repeat"' in name_input and "[" not in name_input.split("hx-trigger")[1][:40]
