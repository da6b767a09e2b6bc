"""Shared fixtures of the records tests (imported by tests/test_records*.py, test_documents*.py).

``case``: an accepted dispute of 白沙村 (cun01's village) with two parties and two mediators, being
mediated. ``full_case``: the same with a notice, an investigation, a session, a printed and signed
agreement with its scan, and a follow-up visit.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.dispute import APPLICANT, RESPONDENT
from portal.models.org import VILLAGE, OrgUnit
from portal.timeutil import SHANGHAI, local_today

TODAY = local_today()
FOUND = TODAY - timedelta(days=20)
ACCEPTED = TODAY - timedelta(days=18)
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
             b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

APPLICANT_NAME = "张𠮷"
RESPONDENT_NAME = "李四"


def local(day: date, hour: int = 9) -> datetime:
    """An aware datetime at ``hour`` o'clock Shanghai time on ``day``."""
    return datetime.combine(day, time(hour), SHANGHAI)


def make_case(user, village_name="白沙村", names=(APPLICANT_NAME, RESPONDENT_NAME)):
    """Create an accepted dispute in ``village_name`` being mediated; returns it (committed)."""
    from portal.disputes.services import assign_case_number, create_dispute

    village = db.session.scalar(select(OrgUnit).where(OrgUnit.level == VILLAGE, OrgUnit.name == village_name))
    parties = [
        {"side": APPLICANT, "name": names[0], "id_number": "11010519491231002X", "sex": "F", "age": 76,
         "ethnicity": "汉族", "occupation": "农民", "phone": "13800138000", "address": f"{village_name}3组12号"},
        {"side": RESPONDENT, "name": names[1], "id_number": "440524188001010014", "sex": "M", "age": 46,
         "ethnicity": "汉族", "occupation": "个体", "phone": "13900139000", "address": f"{village_name}3组14号"},
    ]
    dispute, _ = create_dispute(user=user, location=village, parties=parties, fields={
        "title": f"{names[0]}与{names[1]}宅基地纠纷", "summary": "双方因宅基地界址发生争议，李四建围墙占用张家通道约一米。",
        "category": "HOUSING_HOMESTEAD", "source": "APPLICATION", "found_date": FOUND})
    from portal.models.org import MediationCommittee
    committee = db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == village.id))
    assign_case_number(dispute, committee, ACCEPTED)
    dispute.accepted_date = ACCEPTED
    dispute.status = "MEDIATING"
    dispute.mediators = list(committee.mediators[:2])
    db.session.commit()
    return dispute


@pytest.fixture
def case(app, user):
    return make_case(user("cun01"))


def agreement_form(dispute, **overrides):
    """Valid agreement form data (prefix ``agreement-``) for ``dispute``."""
    data = {"agreement-facts": "李四建围墙占用张家通道约一米，双方争执。",
            "agreement-terms": "一、李四于十日内拆除占用通道部分的围墙。\n二、张𠮷不再追究其他责任。",
            "agreement-performance": f"李四于{(TODAY + timedelta(days=10)).year}年{(TODAY + timedelta(days=10)).month}月"
                                     f"{(TODAY + timedelta(days=10)).day}日前自行拆除，村调委会现场验收。",
            "agreement-copies": "3", "agreement-recorder": "王记录",
            "agreement-signed_date": (TODAY - timedelta(days=2)).isoformat()}
    data.update({key: value for key, value in overrides.items()})
    names = [m.name for m in dispute.mediators]
    items = list(data.items()) + [("agreement-mediators", n) for n in names]
    return items


def fill_case(client, dispute):
    """Drive the panel forms: notice, investigation, session, agreement, print, sign, scan, effective."""
    from werkzeug.datastructures import MultiDict
    d = dispute.id
    session_day = TODAY - timedelta(days=5)
    names = [p.name for p in dispute.parties]
    mediators = [m.name for m in dispute.mediators]
    r = client.post(f"/records/{d}/notice", data=MultiDict(
        [("notice-method", "WRITTEN"), ("notice-given_on", (TODAY - timedelta(days=6)).isoformat()),
         ("notice-given_by", "王调解")] + [("notice-parties", n) for n in names]))
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    r = client.post(f"/records/{d}/investigation", data=MultiDict(
        [("investigation-held_at", f"{(TODAY - timedelta(days=6)).isoformat()}T10:00"),
         ("investigation-place", "村委会调解室"), ("investigation-investigators", "赵某甲、钱某乙"),
         ("investigation-interviewee", "王五（邻居）"), ("investigation-recorder", "王记录"),
         ("investigation-content", "问：你是否清楚两家通道的界址？\n答：清楚，原来的通道宽两米。")]))
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    r = client.post(f"/records/{d}/session", data=MultiDict(
        [("session-held_at", f"{session_day.isoformat()}T09:30"), ("session-place", "村委会调解室"),
         ("session-subject", "宅基地通道纠纷"), ("session-recorder", "王记录"),
         ("session-content", "调解员告知双方权利义务，双方陈述意见。"), ("session-result", "双方达成书面协议。"),
         ("session-read_back", "y")] + [("session-parties_present", n) for n in names]
        + [("session-mediators", n) for n in mediators]))
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    r = client.post(f"/records/{d}/agreement", data=MultiDict(agreement_form(dispute)))
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    return r


@pytest.fixture
def upload_png():
    def make(name="scan.png", data=PNG_BYTES):
        return (io.BytesIO(data), name)
    return make


def sign_and_scan(client, dispute, effective_on=None):
    """Print the final agreement, tick every signature, upload the scan; optionally mark effective."""
    from portal.records import services
    d = dispute.id
    r = client.post(f"/records/{d}/documents/agreement.pdf", data={"print-copies": "3",
                                                                   "print-confirm_unprintable": "y"})
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    agreement = services.current_agreement(dispute)
    keys = [key for key, _label in services.signature_items(agreement)]
    r = client.post(f"/records/{d}/agreement/signatures", data={"signed": keys})
    assert r.status_code in (200, 302)
    r = client.post(f"/records/{d}/attachments", data={"upload-kind": "SIGNED_AGREEMENT", "upload-title": "签字协议扫描件",
                                                       "upload-file": (io.BytesIO(PNG_BYTES), "scan.png")},
                    content_type="multipart/form-data")
    assert r.status_code in (200, 302), r.get_data(as_text=True)[:2000]
    if effective_on is not None:
        r = client.post(f"/records/{d}/agreement/effective", data={"effective-effective_date": effective_on.isoformat()})
        assert r.status_code in (200, 302), r.get_data(as_text=True)[:3000]
    return services.current_agreement(dispute)
