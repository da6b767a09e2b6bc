"""Campaigns (专项行动) and screening returns: a zero report is never confused with a missing return."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.dispute import Campaign, ScreeningReturn
from tests.reports_fixture import build_october


@pytest.fixture
def october(app):
    return build_october()


def test_campaign_zero_report_versus_not_filed(october, client, auth):
    auth.login("zhongxin")
    v3, v4 = october["V3"], october["V4"]
    response = client.post("/reports/campaigns", data={"name": "国庆期间矛盾纠纷集中排查化解专项行动",
                                                       "start_date": "2026-10-01", "end_date": "2026-10-20",
                                                       "villages": [v3.id, v4.id]})
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert {v.name for v in campaign.villages} == {"西坪村", "南山村"}
    # 西坪村 found a dispute in the campaign: a zero report is refused, with the input kept
    bad = client.post(f"/reports/returns?campaign={campaign.id}",
                      data={"village": v3.id, "rounds": "3", "zero_report": "y", "note": "巡查三次"})
    assert bad.status_code == 422 and "巡查三次" in bad.get_data(as_text=True)
    ok = client.post(f"/reports/returns?campaign={campaign.id}", data={"village": v4.id, "rounds": "2",
                                                                      "zero_report": "y"})
    assert ok.status_code == 302
    ret = db.session.scalar(select(ScreeningReturn).where(ScreeningReturn.campaign_id == campaign.id))
    assert ret.village_id == v4.id and ret.zero_report

    page = client.get(f"/reports/returns?campaign={campaign.id}").get_data(as_text=True)
    assert f'class="return-zero" id="return-{v4.id}"' in page
    assert f'class="return-missing" id="return-{v3.id}"' in page

    summary = client.get(f"/reports/C{campaign.id}/20261001-20261020").get_data(as_text=True)
    assert "国庆期间矛盾纠纷集中排查化解专项行动" in summary
    assert [row for row in ("西坪村", "南山村") if row in summary] == ["西坪村", "南山村"]
    assert "上庄村" not in summary.split('id="table1"')[1].split("</table>")[0]

    from pypdf import PdfReader
    pdf = client.get(f"/reports/C{campaign.id}/20261001-20261020/report.pdf").data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "零报告（1个）：南山村" in text
    assert "未报送（1个）：西坪村" in text


def test_campaign_form_errors_keep_input(client, auth):
    auth.login("zhongxin")
    response = client.post("/reports/campaigns", data={"name": "春节专项", "start_date": "2026-02-10",
                                                       "end_date": "2026-02-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "春节专项" in html and 'class="error"' in html


def test_cadre_cannot_create_campaign_but_files_own_return(october, client, auth):
    auth.login("cun03")
    assert client.post("/reports/campaigns", data={"name": "x"}).status_code == 403
    other = october["V1"]
    assert client.post("/reports/returns?period=2026-10", data={"village": other.id, "rounds": "1"}).status_code == 404
    own = october["V3"]
    assert client.post("/reports/returns?period=2026-10", data={"village": own.id, "rounds": "2"}).status_code == 302


def test_monthly_zero_report_needs_no_disputes(october, client, auth):
    auth.login("zhongxin")
    empty = october["V4"]
    response = client.post("/reports/returns?period=2026-09", data={"village": empty.id, "rounds": "1"})
    assert response.status_code == 422  # nothing found and not ticked
    assert client.post("/reports/returns?period=2026-09", data={"village": empty.id, "rounds": "1",
                                                                 "zero_report": "y"}).status_code == 302
