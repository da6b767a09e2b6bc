"""Mediation records: panel forms, ordering rules, the agreement's path to effect (domain.md 8.3),
judicial-confirmation window, uploads, scoped downloads, print log and verification."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models.records import Agreement, Attachment, MediationSession, PrintLog
from portal.models.user import AuditLog
from portal.records import services
from portal.records.documents import content_disposition
from tests.test_records_support import (PDF_BYTES, PNG_BYTES, TODAY, agreement_form, case,  # noqa: F401
                                        fill_case, sign_and_scan)

HX = {"HX-Request": "true"}


def test_panel_page_and_scope(client, auth, case):
    auth.login("cun01")
    html = client.get(f"/records/{case.id}").get_data(as_text=True)
    assert "records-panel" in html and "张𠮷" in html
    auth.logout()
    auth.login("cun02")
    assert client.get(f"/records/{case.id}").status_code == 404
    assert client.post(f"/records/{case.id}/notice", data={}).status_code == 404
    assert client.get(f"/records/{case.id}/documents/agreement.pdf").status_code == 404


def session_data(case, **overrides):
    data = {"session-held_at": f"{(TODAY - timedelta(days=3)).isoformat()}T09:30", "session-place": "调解室",
            "session-subject": "通道纠纷", "session-recorder": "王记录", "session-content": "双方陈述。",
            "session-result": "达成协议"}
    data.update(overrides)
    items = list(data.items()) + [("session-parties_present", p.name) for p in case.parties]
    items += [("session-mediators", m.name) for m in case.mediators]
    return MultiDict(items)


def test_session_needs_notice_first(client, auth, case):
    auth.login("cun01")
    r = client.post(f"/records/{case.id}/session", data=session_data(case), headers=HX)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="records-form-session"' in html and "调解室" in html and "通道纠纷" in html  # values kept
    assert db.session.scalar(select(MediationSession.id)) is None


@pytest.mark.parametrize("held_at, expected", [
    ((TODAY + timedelta(days=1)).isoformat() + "T09:00", 422),    # future
    ((TODAY - timedelta(days=30)).isoformat() + "T09:00", 422),   # before acceptance
    ("2026-13-45T09:00", 422),                                     # not a date
    ((TODAY - timedelta(days=3)).isoformat() + "T09:00", 200),
])
def test_session_dates_ordered(client, auth, case, held_at, expected):
    auth.login("cun01")
    client.post(f"/records/{case.id}/notice", data=MultiDict(
        [("notice-method", "ORAL"), ("notice-given_on", (TODAY - timedelta(days=10)).isoformat()),
         ("notice-given_by", "王调解"), ("notice-parties", case.parties[0].name)]))
    r = client.post(f"/records/{case.id}/session", data=session_data(case, **{"session-held_at": held_at}),
                    headers=HX)
    assert r.status_code == expected, r.get_data(as_text=True)[:500]


def test_simplified_session_needs_only_matters_and_result(client, auth, case):
    auth.login("cun01")
    client.post(f"/records/{case.id}/notice", data=MultiDict(
        [("notice-method", "ORAL"), ("notice-given_on", (TODAY - timedelta(days=10)).isoformat()),
         ("notice-given_by", "王调解"), ("notice-parties", case.parties[0].name)]))
    data = {"session-held_at": f"{(TODAY - timedelta(days=3)).isoformat()}T09:30", "session-simplified": "y",
            "session-subject": "通道纠纷", "session-result": "当场达成口头协议"}
    assert client.post(f"/records/{case.id}/session", data=data, headers=HX).status_code == 200
    del data["session-simplified"]
    r = client.post(f"/records/{case.id}/session", data=data, headers=HX)
    assert r.status_code == 422


@pytest.mark.parametrize("performance, ok", [
    ("李四一次性现金支付张三5000元", False),          # no time limit
    ("2026年3月31日前", False),                          # no manner
    ("李四于2026年3月31日前一次性现金支付5000元", True),
    ("签字后十日内银行转账支付", True),
    ("当场以现金方式支付", True),
])
def test_performance_needs_manner_and_time_limit(client, auth, case, performance, ok):
    auth.login("cun01")
    fill_case(client, case)
    r = client.post(f"/records/{case.id}/agreement", headers=HX,
                    data=MultiDict(agreement_form(case, **{"agreement-performance": performance})))
    assert r.status_code == (200 if ok else 422)
    if not ok:
        assert performance in r.get_data(as_text=True)


def test_copies_at_least_parties_plus_one(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    r = client.post(f"/records/{case.id}/agreement", headers=HX,
                    data=MultiDict(agreement_form(case, **{"agreement-copies": "2"})))
    assert r.status_code == 422 and "3" in r.get_data(as_text=True)


def test_agreement_lifecycle_and_confirmation_window(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    agreement = services.current_agreement(case)
    assert agreement.status == "DRAFT" and [p["name"] for p in agreement.parties] == ["张𠮷", "李四"]
    effective = TODAY - timedelta(days=1)
    agreement = sign_and_scan(client, case, effective_on=effective)
    assert agreement.status == "EFFECTIVE" and agreement.effective_date == effective
    db.session.refresh(case)
    assert case.status == "AGREED" and case.agreement_form == "WRITTEN"      # workflow told (mark_agreed, effective)
    assert services.dossier_problems(case) == []
    assert services.confirmation_deadline(agreement) == effective + timedelta(days=30)
    assert services.confirmation_days_left(agreement, today=effective) == 30
    html = client.get(f"/records/{case.id}").get_data(as_text=True)
    assert "data-status=\"EFFECTIVE\"" in html
    # 人民调解法 第三十三条: joint application within 30 days.
    late = {"confirmation-jointly_applied": "y", "confirmation-court_name": "清河县人民法院",
            "confirmation-applied_date": (effective + timedelta(days=31)).isoformat(), "confirmation-result": "APPLIED"}
    # applied_date in the future is refused too; check the rule directly on the service for day 31.
    with pytest.raises(services.RecordError):
        services.add_confirmation(case, case.registrar, {**{k.split("-", 1)[1]: v for k, v in late.items()},
                                                         "jointly_applied": True,
                                                         "applied_date": effective + timedelta(days=31),
                                                         "ruling_date": None})
    db.session.rollback()
    not_joint = dict(late, **{"confirmation-applied_date": TODAY.isoformat()})
    del not_joint["confirmation-jointly_applied"]
    assert client.post(f"/records/{case.id}/confirmation", data=not_joint, headers=HX).status_code == 422
    ok = dict(late, **{"confirmation-applied_date": TODAY.isoformat()})
    assert client.post(f"/records/{case.id}/confirmation", data=ok, headers=HX).status_code == 200


def _blank_party_field(case, field):
    agreement = services.current_agreement(case)
    parties = [dict(p) for p in agreement.parties]
    parties[1][field] = ""
    agreement.parties = parties
    db.session.commit()


@pytest.mark.parametrize("blocker, expected", [
    ("party_id", "ID number"),
    ("party_address", "address"),
    ("one_party", "at least two parties"),
    ("no_terms", "at least one term"),
    ("no_facts", "facts"),
    ("performance", "time limit"),
    ("copies", "copies"),
    ("signature", "Signatures missing"),
    ("seal", "人民调解委员会印章"),
    ("scan", "scan"),
    ("signed_date", "signing date"),
])
def test_each_blocker_prevents_effect(client, auth, case, blocker, expected, app):
    """domain.md 8.3: every blocker alone keeps the agreement from taking effect."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    auth.login("cun01")
    client.post("/auth/preferences", data={"locale": "en"})
    fill_case(client, case)
    if blocker == "scan":
        client.post(f"/records/{case.id}/documents/agreement.pdf", data={"print-copies": "1",
                                                                         "print-confirm_unprintable": "y"})
        agreement = services.current_agreement(case)
        client.post(f"/records/{case.id}/agreement/signatures",
                    data={"signed": [k for k, _l in services.signature_items(agreement)]})
    else:
        sign_and_scan(client, case)
    agreement = services.current_agreement(case)
    if blocker.startswith("party_"):
        _blank_party_field(case, {"party_id": "id_number", "party_address": "address"}[blocker])
    elif blocker == "one_party":
        agreement.parties = agreement.parties[:1]
    elif blocker == "no_terms":
        agreement.terms = []
    elif blocker == "no_facts":
        agreement.facts = " "
    elif blocker == "performance":
        agreement.performance = "现金支付"
    elif blocker == "copies":
        agreement.copies = 2
    elif blocker == "signature":
        agreement.signatures = {k: True for k in agreement.signatures if k != "party:1"}
    elif blocker == "seal":
        agreement.signatures = {k: True for k in agreement.signatures if k != "seal"}
    elif blocker == "signed_date":
        agreement.signed_date = None
    db.session.commit()
    problems = services.agreement_blockers(agreement)
    assert len(problems) >= 1 and any(expected.lower() in p.lower() for p in problems), problems
    r = client.post(f"/records/{case.id}/agreement/effective", headers=HX,
                    data={"effective-effective_date": TODAY.isoformat()})
    assert r.status_code == 422
    db.session.expire_all()
    assert services.current_agreement(case).status != "EFFECTIVE"


def test_editing_printed_agreement_makes_new_draft(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    client.post(f"/records/{case.id}/documents/agreement.pdf", data={"print-copies": "3",
                                                                     "print-confirm_unprintable": "y"})
    agreement = services.current_agreement(case)
    assert agreement.status == "PRINTED" and agreement.revision == 1
    client.post(f"/records/{case.id}/agreement", headers=HX,
                data=MultiDict(agreement_form(case, **{"agreement-facts": "改过的事实"})))
    db.session.expire_all()
    agreement = services.current_agreement(case)
    assert agreement.status == "DRAFT" and agreement.revision == 2 and agreement.signatures == {}


@pytest.mark.parametrize("name, data, expected", [
    ("fake.pdf", b"this is plain text, not a PDF at all", 422),   # type from content, not name
    ("scan.exe", PNG_BYTES, 200),                                 # a PNG whatever its name
    ("doc.pdf", PDF_BYTES, 200),
    ("empty.png", b"", 422),
])
def test_upload_type_from_content(client, auth, case, name, data, expected):
    auth.login("cun01")
    r = client.post(f"/records/{case.id}/attachments", headers=HX, content_type="multipart/form-data",
                    data={"upload-kind": "EVIDENCE", "upload-file": (io.BytesIO(data), name)})
    assert r.status_code == expected
    rows = list(db.session.scalars(select(Attachment)))
    assert len(rows) == (1 if expected == 200 else 0)


def test_upload_size_limit(client, auth, case, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    auth.login("cun01")
    big = PNG_BYTES + b"\0" * 2048
    r = client.post(f"/records/{case.id}/attachments", headers=HX, content_type="multipart/form-data",
                    data={"upload-kind": "EVIDENCE", "upload-file": (io.BytesIO(big), "big.png")})
    assert r.status_code == 422 and "MB" in r.get_data(as_text=True)


def test_upload_stored_privately_and_download_scoped(client, auth, case, app):
    auth.login("cun01")
    client.post(f"/records/{case.id}/attachments", content_type="multipart/form-data",
                data={"upload-kind": "EVIDENCE", "upload-title": "现场照片",
                      "upload-file": (io.BytesIO(PNG_BYTES), "../../etc/passwd.png")})
    row = db.session.scalar(select(Attachment))
    stored = Path(app.config["UPLOAD_FOLDER"]) / row.stored_name
    assert stored.read_bytes() == PNG_BYTES and row.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert "static" not in str(stored) and row.stored_name != "passwd.png" and row.content_type == "image/png"
    r = client.get(f"/records/{case.id}/attachments/{row.id}")
    assert r.status_code == 200 and r.data == PNG_BYTES
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87" in r.headers["Content-Disposition"]
    auth.logout()
    auth.login("cun02")
    assert client.get(f"/records/{case.id}/attachments/{row.id}").status_code == 404
    auth.logout()
    auth.login("wangge01")   # in scope but no pii.reveal
    assert client.get(f"/records/{case.id}/attachments/{row.id}").status_code in (403, 404)


@pytest.mark.parametrize("name, fallback, encoded", [
    ("人民调解协议书（2026）白沙人调字第012号.pdf", 'filename="2026-012.pdf"',
     "filename*=UTF-8''%E4%BA%BA%E6%B0%91%E8%B0%83%E8%A7%A3%E5%8D%8F%E8%AE%AE%E4%B9%A6%EF%BC%882026%EF%BC%89"),
    ('a/b\\c:d*e?"f<g>h|.pdf', 'filename="a_b_c_d_e__f_g_h_.pdf"', "filename*=UTF-8''a_b_c_d_e__f_g_h_.pdf"),
    ("张𠮷.png", 'filename="document.png"', "filename*=UTF-8''%E5%BC%A0%F0%A0%AE%B7.png"),
])
def test_content_disposition(name, fallback, encoded):
    value = content_disposition(name)
    assert value.startswith("attachment; ") and fallback in value and encoded in value
    assert value.isascii()


def test_final_print_logged_and_verifiable(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    r = client.post(f"/records/{case.id}/documents/minutes.pdf", data={"print-copies": "2"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    log = db.session.scalar(select(PrintLog))
    assert log.copies == 2 and log.kind == "minutes" and log.title == "人民调解记录"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "PRINT"))
    assert audit is not None and log.code in audit.detail
    page = client.get(f"/records/verify/{log.code.lower().replace('-', '')}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "人民调解记录" in html and case.case_no in html and log.version in html
    assert client.get("/records/verify/ZZZZ-ZZZZ").status_code == 404
    auth.logout()
    auth.login("cun02")
    assert client.get(f"/records/verify/{log.code}").status_code == 404


def test_get_never_commits_a_print(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    assert client.get(f"/records/{case.id}/documents/dossier.pdf").status_code == 200
    assert db.session.scalar(select(PrintLog.id)) is None


def test_roles_without_capability(client, auth, case):
    auth.login("wangge01")
    assert client.post(f"/records/{case.id}/notice", data={}).status_code in (403, 404)
    assert client.get(f"/records/{case.id}/documents/intake.pdf").status_code in (403, 404)


def test_oral_agreement_and_follow_up_order(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    oral = MultiDict([("oral-facts", "邻里通道争执"), ("oral-content", "李四当场让出通道"),
                      ("oral-performance", "当场拆除围墙一米"), ("oral-agreed_date", TODAY.isoformat()),
                      ("oral-registrar", "王记录")] + [("oral-mediators", m.name) for m in case.mediators])
    assert client.post(f"/records/{case.id}/oral", data=oral, headers=HX).status_code == 200
    follow = MultiDict([("followup-visited_at", f"{(TODAY - timedelta(days=4)).isoformat()}T10:00"),
                        ("followup-method", "PHONE"), ("followup-performance_status", "PERFORMED"),
                        ("followup-findings", "已履行"), ("followup-visitor", "王调解"),
                        ("followup-visited", "李四")])
    r = client.post(f"/records/{case.id}/followup", data=follow, headers=HX)
    assert r.status_code == 422                         # before the agreement (signed 2 days ago)
    follow["followup-visited_at"] = f"{TODAY.isoformat()}T00:01"
    r = client.post(f"/records/{case.id}/followup", data=follow, headers=HX)
    assert r.status_code == 200, r.get_data(as_text=True)
