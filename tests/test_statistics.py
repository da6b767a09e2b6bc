"""Statistics service (issue 5): every cell of the October 2026 report, computed by hand from
tests/reports_fixture.py, and every figure's ledger link listing exactly its disputes."""
from __future__ import annotations

from datetime import date

import pytest

from portal.reports import services
from tests.reports_fixture import build_october

TODAY = date(2026, 11, 15)

#: Table 1 cells in column order: rounds, found, prevented, mediated, 主动, 申请, 委托移送, success, rate,
#: written, oral, amount, performed, confirmed, 民转刑 件/人, 上访 件/人, 械斗 件/人, 自杀 件/人,
#: transferred, open, overdue. Worked out by hand from tests/reports_fixture.py (domain.md 7.1):
#: columns 5–11 count the disputes of column 4 (accepted in October, mediated at this level) by their
#: current result, so success ≤ mediated and the rate is success ÷ mediated; the prevention flags count
#: disputes concluded (resolved_date) in October. The reference day for open/overdue is 31 October.
ZERO_ROW = ["0"] * 8 + ["—"] + ["0"] * 16
EXPECTED_T1 = {
    # found d1, d2 (d7 is 30 Sep, d9 1 Nov, d10 voided); mediated d1 (主动), d2 (申请); d7 was accepted in
    # September, so its October failure is not in this cohort. Success d1 of {d1, d2} → 50.0; amount
    # 12345 yuan → 1.23 万元; d1 concluded 10 Oct with 民转刑 3 persons. Open d2, d12; overdue d12
    # (deadline 10 Oct). The escalation of d12 (23:00 on 30 Sep Beijing time) is September's.
    "白沙村": ["4", "2", "0", "2", "1", "1", "0", "1", "50.0", "1", "0", "1.23", "1", "0", "1", "3",
            "0", "0", "0", "0", "0", "0", "0", "2", "1"],
    # found d3, d4, d8 (d13: 18 Sep); prevented d8 (on the spot); mediated d3 only (d4 is handled by the
    # county, d13 was accepted on 20 Sep) → 委托移送 1. Success/oral/performed: d3; its 5000 yuan →
    # 0.50. d13's October agreement (written, 20000 yuan, performed) belongs to September's cohort, but
    # its 上访 flag (12 persons) counts here: d13 concluded on 8 Oct. Transferred d4 (07:30 on 1 Oct
    # Beijing time). Open d4 (escalated); d8 is settled, not open.
    "上庄村": ["0", "3", "1", "1", "0", "0", "1", "1", "100.0", "0", "1", "0.50", "1", "0", "0", "0",
            "1", "12", "0", "0", "0", "0", "1", "1", "0"],
    # found d5, referred out (never accepted, not open-settled): transferred 1 and open 1, nothing mediated.
    "西坪村": ["0", "1", "0", "0", "0", "0", "0", "0", "—", "0", "0", "0", "0", "0", "0", "0",
            "0", "0", "0", "0", "0", "0", "1", "1", "0"],
    "南山村": ["2"] + ZERO_ROW[1:],
    "北川村": ZERO_ROW,
    # found d6 (d14 was found on 28 Sep); mediated d6 (court-entrusted → 委托移送) and d14 (申请, accepted
    # 25 Oct). d14's agreement came on 5 Nov but it is in October's cohort: success 1 of 2 → 50.0,
    # written 1, 80000 yuan → 8.00, judicially confirmed 1 (not "performed": 3.9 lists only PERFORMED and
    # PERFORMED_IMMEDIATE). d6's 150000 yuan is no agreement. Open on 31 Oct: d6 and d14 (concluded
    # 5 Nov); overdue d6 (deadline 20 Oct).
    "镇本级": ["0", "1", "0", "2", "0", "1", "1", "1", "50.0", "1", "0", "8.00", "0", "1", "0", "0",
            "0", "0", "0", "0", "0", "0", "0", "2", "1"],
    # Sums of the rows above; rate 3 ÷ 5 = 60.0; amount (12345 + 5000 + 80000) yuan = 9.7345 → 9.73 万元.
    "合计": ["6", "7", "1", "5", "1", "2", "2", "3", "60.0", "2", "1", "9.73", "2", "1", "1", "3",
           "1", "12", "0", "0", "0", "0", "2", "6", "2"],
}
#: Table 2: count, share, success, rate, previous month, 环比, Oct 2025, 同比, cumulative.
#: Mediated cohorts: October d1, d3 (邻里), d2 (婚姻家庭), d6, d14 (损害赔偿) = 5; September d7 (婚姻家庭),
#: d12, d13 (邻里) = 3; October 2025 d11 (邻里) = 1; 1 Jan–31 Oct = 8. d4 (劳动争议) is the county's.
#: Success per category among its October count: 邻里 d1, d3; 损害赔偿 d14; 婚姻家庭 none (rate 0 ÷ 1 = 0).
EXPECTED_T2 = {
    "婚姻家庭纠纷": ["1", "20.0", "0", "0", "1", "0", "0", "—", "2"],
    "邻里纠纷": ["2", "40.0", "2", "100.0", "2", "0", "1", "100.0", "4"],
    "损害赔偿纠纷": ["2", "40.0", "1", "50.0", "0", "—", "0", "—", "2"],
    "劳动争议纠纷": ["0", "0", "0", "—", "0", "—", "0", "—", "0"],
    "合计": ["5", "100.0", "3", "60.0", "3", "66.7", "1", "400.0", "8"],  # 环比 (5 − 3) ÷ 3; 同比 (5 − 1) ÷ 1
}


@pytest.fixture
def october(app):
    return build_october()


def _figures(units, username, user, scope=None, period="2026-10"):
    scope = scope or services.Scope(units["T"])
    return services.build_figures(scope, services.parse_period(period), user(username), TODAY)


def test_table1_every_cell(app, october, user):
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
    rows = {r["label"]: [c["text"] for c in r["cells"]] for r in f["table1"]}
    assert list(rows)[:14][0] == "白沙村" and list(rows)[-2:] == ["镇本级", "合计"]
    assert len(rows) == 16  # 14 villages, 镇本级, 合计
    for label, expected in EXPECTED_T1.items():
        assert rows[label] == expected, label


def test_fengqiao_shares_partition_found(app, october, user):
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
    total = f["table1"][-1]["fengqiao"]
    assert [(c["count"], c["share"]) for c in total] == [(4, "57.1"), (1, "14.3"), (2, "28.6")]


def test_table2_every_cell(app, october, user):
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
    rows = {r["label"]: [c["text"] for c in r["cells"]] for r in f["table2"]}
    assert list(rows)[0] == "婚姻家庭纠纷" and list(rows)[-1] == "合计"  # dictionary order
    for label, expected in EXPECTED_T2.items():
        assert rows[label] == expected, label


def test_major_extract_masks_names(app, october, user):
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
    assert [(m["village"], m["parties"]) for m in f["major"]] == [("上庄村", "张某、白沙某建筑有限公司"),
                                                                 ("镇本级", "赵某、钱某")]
    assert "张三" not in str(f)


def test_every_figure_link_lists_exactly_its_disputes(app, october, user, client, auth):
    from portal.disputes.queries import ledger_query
    from portal.extensions import db
    from sqlalchemy import func, select

    zhongxin = user("zhongxin")
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
        checked = 0
        for table in ("table1", "table2"):
            for row in f[table]:
                first: dict[str, str] = {}
                for cell in row["cells"]:
                    if cell["link"]:
                        first.setdefault(cell["link"], cell["text"])  # amount/persons share the count's link
                for spec, text in first.items():
                    count = db.session.scalar(select(func.count()).select_from(
                        ledger_query(zhongxin, {"figure": spec}).order_by(None).subquery()))
                    assert count == int(text), (row["label"], spec)
                    checked += 1
        for cell in f["table1"][-1]["fengqiao"]:
            assert len(services.figure_ids(cell["link"], zhongxin)) == cell["count"]
    assert checked > 300
    auth.login("zhongxin")
    spec = f["table1"][0]["cells"][1]["link"]  # 白沙村, found: d1 and d2
    with app.test_request_context():
        from flask import url_for
        url = url_for("disputes.ledger", figure=spec)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "d1纠纷" in html and "d2纠纷" in html and "d3纠纷" not in html and "d12纠纷" not in html


def test_period_boundaries_use_beijing_days(app, october, user):
    """1 Oct 00:30/06:00 and 31 Oct 23:59 belong to October; a transfer at 07:30 on 1 Oct Beijing
    time (30 Sep UTC) counts in October, one at 23:00 on 30 Sep in September."""
    with app.test_request_context():
        sep = _figures(october, "zhongxin", user, period="2026-09")
        nov = _figures(october, "zhongxin", user, period="2026-11")
        zhongxin = user("zhongxin")
        oct_transfers = services.figure_ids(f"transferred|2026-10|T{october['T'].id}|ALL|", zhongxin)
        sep_transfers = services.figure_ids(f"transferred|2026-09|T{october['T'].id}|ALL|", zhongxin)
    d = october["d"]
    assert oct_transfers == sorted([d["d4"].id, d["d5"].id])
    assert sep_transfers == [d["d12"].id]
    sep_rows = {r["label"]: r["counts"] for r in sep["table1"]}
    assert sep_rows["白沙村"]["found"] == 2 and sep_rows["合计"]["mediated"] == 3  # d7, d12, d13
    assert {r["label"]: r["counts"]["found"] for r in nov["table1"]}["白沙村"] == 1


def test_outcomes_count_in_the_month_of_acceptance(app, october, user):
    """Columns 5–11 follow column 4's cohort (domain.md 7.1: rate = 5 ÷ 4): d13 (accepted in September,
    agreed in October) is a September success, d14 (accepted in October, agreed in November) an October
    one; November's only mediated dispute (d9) is still open, so November shows no success."""
    with app.test_request_context():
        sep = _figures(october, "zhongxin", user, period="2026-09")
        nov = _figures(october, "zhongxin", user, period="2026-11")
        zhongxin = user("zhongxin")
        town = october["T"].id
        ids = {p: services.figure_ids(f"success|{p}|T{town}|ALL|", zhongxin) for p in ("2026-09", "2026-10", "2026-11")}
    d = october["d"]
    assert ids == {"2026-09": [d["d13"].id], "2026-10": sorted([d["d1"].id, d["d3"].id, d["d14"].id]), "2026-11": []}
    sep_total = [c["text"] for c in sep["table1"][-1]["cells"]]
    assert sep_total[3] == "3" and sep_total[7:10] == ["1", "33.3", "1"]  # d13 of {d7, d12, d13}; written 1
    nov_total = [c["text"] for c in nov["table1"][-1]["cells"]]
    assert nov_total[3] == "1" and nov_total[7:9] == ["0", "0"]


def test_success_never_exceeds_mediated(app, october, user):
    with app.test_request_context():
        for period in ("2026-09", "2026-10", "2026-11", "2026-Q4", "2026"):
            f = _figures(october, "zhongxin", user, period=period)
            for row in f["table1"]:
                assert row["counts"]["success"] <= row["counts"]["mediated"], (period, row["label"])
            for row in f["table2"]:
                count, success = int(row["cells"][0]["text"]), int(row["cells"][2]["text"])
                assert success <= count, (period, row["label"])


def test_narrative_uses_the_table_rate(app, october, user):
    with app.test_request_context():
        f = _figures(october, "zhongxin", user)
    text = services.default_narrative(f)
    assert "受理调解5件，其中调解成功3件，调解成功率60.0%" in text


def test_quarter_year_and_campaign_periods():
    assert services.parse_period("2026-Q4").start == date(2026, 10, 1)
    assert services.parse_period("2026-Q4").end == date(2026, 12, 31)
    assert services.previous_period(services.parse_period("2026-01")).key == "2025-12"
    assert services.same_period_last_year(services.parse_period("2026-Q1")).key == "2025-Q1"
    assert services.parse_period("20261001-20261015").label == "2026年10月1日至10月15日"
    with pytest.raises(ValueError):
        services.parse_period("2026-13")


@pytest.mark.parametrize("num,den,expected", [(842, 869, "96.9"), (160, 869, "18.4"), (1, 8, "12.5"),
                                              (0, 5, "0"), (3, 0, "—")])
def test_rates_round_half_up(num, den, expected):
    assert services.fmt(services.rate(num, den)) == expected


def test_cadre_sees_only_own_village(app, october, user, client, auth):
    village = october["V3"]
    with app.test_request_context():
        f = _figures(october, "cun03", user, scope=services.Scope(village))
    assert [r["label"] for r in f["table1"]] == ["西坪村", "合计"]
    assert f["table1"][-1]["counts"]["found"] == 1
    auth.login("cun03")
    assert client.get(f"/reports/T{october['T'].id}/2026-10").status_code == 404
    assert client.get(f"/reports/V{october['V1'].id}/2026-10").status_code == 404
    page = client.get(f"/reports/V{village.id}/2026-10").get_data(as_text=True)
    assert "西坪村" in page and "白沙村" not in page and "上庄村" not in page
    # a figure link forged for the whole town lists only the cadre's own disputes
    from portal.disputes.queries import ledger_query
    from portal.extensions import db
    with app.test_request_context():
        ids = list(db.session.scalars(ledger_query(user("cun03"), {"figure": f"found|2026-10|V{village.id}|ALL|"})))
    assert [x.id for x in ids] == [october["d"]["d5"].id]
