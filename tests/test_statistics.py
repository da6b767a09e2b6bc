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
#: transferred, open, overdue. The success rate is success ÷ mediations concluded in the period
#: (白沙村: d1 succeeded, d7 failed → 50.0).
ZERO_ROW = ["0"] * 8 + ["—"] + ["0"] * 16
EXPECTED_T1 = {
    "白沙村": ["4", "2", "0", "2", "1", "1", "0", "1", "50.0", "1", "0", "1.23", "1", "0", "1", "3",
            "0", "0", "0", "0", "0", "0", "0", "2", "1"],
    "东湾村": ["0", "3", "1", "1", "0", "0", "1", "1", "100.0", "0", "1", "0.50", "1", "0", "0", "0",
            "0", "0", "0", "0", "0", "0", "1", "1", "0"],
    "西坪村": ["0", "1", "0", "0", "0", "0", "0", "0", "—", "0", "0", "0", "0", "0", "0", "0",
            "0", "0", "0", "0", "0", "0", "1", "1", "0"],
    "南河村": ["2"] + ZERO_ROW[1:],
    "北岭村": ZERO_ROW,
    "镇本级": ["0", "1", "0", "1", "0", "0", "1", "0", "—", "0", "0", "0", "0", "0", "0", "0",
            "0", "0", "0", "0", "0", "0", "0", "1", "1"],
    "合计": ["6", "7", "1", "4", "1", "1", "2", "2", "66.7", "1", "1", "1.73", "2", "0", "1", "3",
           "0", "0", "0", "0", "0", "0", "2", "5", "2"],
}
#: Table 2: count, share, success, rate, previous month, 环比, Oct 2025, 同比, cumulative.
EXPECTED_T2 = {
    "婚姻家庭纠纷": ["1", "25.0", "0", "0", "1", "0", "0", "—", "2"],
    "邻里纠纷": ["2", "50.0", "2", "100.0", "1", "100.0", "1", "100.0", "3"],
    "损害赔偿纠纷": ["1", "25.0", "0", "—", "0", "—", "0", "—", "1"],
    "劳动争议纠纷": ["0", "0", "0", "—", "0", "—", "0", "—", "0"],
    "合计": ["4", "100.0", "2", "66.7", "2", "100.0", "1", "300.0", "6"],
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
    assert [(m["village"], m["parties"]) for m in f["major"]] == [("东湾村", "张某、白沙某建筑有限公司"),
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
    assert sep_rows["白沙村"]["found"] == 2 and sep_rows["合计"]["mediated"] == 2
    assert {r["label"]: r["counts"]["found"] for r in nov["table1"]}["白沙村"] == 1


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
    assert "西坪村" in page and "白沙村" not in page and "东湾村" not in page
    # a figure link forged for the whole town lists only the cadre's own disputes
    from portal.disputes.queries import ledger_query
    from portal.extensions import db
    with app.test_request_context():
        ids = list(db.session.scalars(ledger_query(user("cun03"), {"figure": f"found|2026-10|V{village.id}|ALL|"})))
    assert [x.id for x in ids] == [october["d"]["d5"].id]
