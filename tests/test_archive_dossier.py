"""Archiving needs a complete dossier (domain.md 8.4: every "required" item of the section 6 table).

The records feature registers :func:`portal.records.services.dossier_problems` in
``workflow.ARCHIVE_CHECKS``; the case page answers a refused archive with 422 and the missing items.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.disputes import workflow
from portal.extensions import db
from portal.models.dispute import DisputeEvent
from portal.records import services as records
from portal.timeutil import SHANGHAI
from tests.test_records_support import TODAY, case, fill_case, sign_and_scan  # noqa: F401

HX = {"HX-Request": "true"}
#: The msgids of the refusal (the page shows their zh_CN translation: ``zh_text``).
NOTICE = "The dossier lacks the rights-and-duties notice."
SESSION = "The dossier lacks a mediation record."
AGREEMENT = "The dossier lacks the effective written agreement."


def test_records_register_the_dossier_check(app):
    assert records.dossier_problems in workflow.ARCHIVE_CHECKS
    assert workflow.ARCHIVE_CHECKS.count(records.dossier_problems) == 1


def _add_notice(dispute, user):
    records.add_notice(dispute, user, {"method": "ORAL", "given_on": TODAY - timedelta(days=6),
                                       "parties": [p.name for p in dispute.parties], "given_by": "王调解"})


def _add_session(dispute, user):
    records.add_session(dispute, user, {
        "held_at": datetime.combine(TODAY - timedelta(days=5), time(9, 30), SHANGHAI), "place": "村委会调解室",
        "subject": "宅基地通道纠纷", "parties_present": [p.name for p in dispute.parties],
        "mediators": [m.name for m in dispute.mediators], "recorder": "王记录", "content": "双方陈述意见。",
        "result": "双方达成书面协议。", "simplified": False, "read_back": True})


def _close_without_agreement_record(dispute, user):
    """Agreement reached, effective and performed, told to the workflow directly (as for a case whose
    paper agreement was never entered), then closed: the dossier has no effective agreement."""
    workflow.mark_agreed(dispute, "WRITTEN", user, TODAY - timedelta(days=2))
    workflow.mark_agreement_effective(dispute, user, TODAY - timedelta(days=1))
    workflow.performance(dispute, user, outcome="PERFORMED")
    workflow.close(dispute, user, closed_date=TODAY)
    db.session.commit()


@pytest.mark.parametrize("present, missing", [
    ((), (NOTICE, SESSION, AGREEMENT)),
    (("notice",), (SESSION, AGREEMENT)),
    (("notice", "session"), (AGREEMENT,)),
])
def test_archive_refused_while_required_items_are_missing(client, auth, case, user, zh_text, present, missing):
    cadre = user("cun01")
    if "notice" in present:
        _add_notice(case, cadre)
    if "session" in present:
        _add_session(case, cadre)
    _close_without_agreement_record(case, cadre)
    auth.login("cun01")
    response = client.post(f"/disputes/{case.id}/actions/archive", headers=HX, data={})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="act-archive"' in html
    for message in (NOTICE, SESSION, AGREEMENT):
        assert (zh_text(message) in html) == (message in missing), message
    db.session.expire_all()
    assert db.session.get(type(case), case.id).status == "CLOSED"
    assert db.session.scalar(select(DisputeEvent.id).where(DisputeEvent.dispute_id == case.id,
                                                           DisputeEvent.action == "ARCHIVED")) is None


def test_archive_succeeds_with_notice_session_and_effective_agreement(client, auth, case, user):
    auth.login("cun01")
    fill_case(client, case)                                           # notice, investigation, session, draft
    agreement = sign_and_scan(client, case, effective_on=TODAY - timedelta(days=1))
    assert agreement.status == "EFFECTIVE"
    db.session.refresh(case)
    cadre = user("cun01")
    workflow.performance(case, cadre, outcome="PERFORMED")
    workflow.close(case, cadre, closed_date=TODAY)
    db.session.commit()
    assert records.dossier_problems(case) == []
    response = client.post(f"/disputes/{case.id}/actions/archive", headers=HX, data={})
    assert response.status_code == 200
    assert NOTICE not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(case), case.id).status == "ARCHIVED"


def test_messages_are_translated(zh_text):
    """The refusal reaches users in Chinese: each message is a msgid of the zh catalog."""
    assert [zh_text(m) for m in (NOTICE, SESSION, AGREEMENT)] == [
        "卷宗缺少权利义务告知书。", "卷宗缺少调解记录。", "卷宗缺少已生效的人民调解协议书。"]
