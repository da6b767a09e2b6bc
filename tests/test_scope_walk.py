"""Walk EVERY URL rule of the app as a village cadre (cun03) against objects of another village
(村 1): pages, partials, PDFs, exports, search and autocomplete must answer 404 (or 403 where a
capability is missing) for the other village's objects, and list pages must never show them.

The walker is generic: URL arguments are filled by name (``dispute_id``, ``party_id``,
``transfer_id``, ``village_id``, ``unit_id`` … and ``<thing>_id`` for any table called ``thing`` or
``…_thing``, preferring a row of the other village's dispute), so rules that features add later
are walked too.
"""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from portal.disputes import workflow
from portal.extensions import db
from portal.models.base import Base
from portal.models.dispute import Dispute
from portal.models.org import MediationCommittee
from tests.test_workflow import _user, make_dispute

SECRET_TITLE = "外村秘密纠纷甲乙丙"
SECRET_PARTY = "外村当事人丁"
HX = {"HX-Request": "true"}
#: Endpoints that would end the walker's own session.
SKIP = {"static", "auth.logout"}
#: Values for string arguments, by name.
STRINGS = {"action": "escalate", "field": "phone", "kind": "agreement", "fmt": "pdf", "format": "pdf"}


@pytest.fixture
def foreign(app):
    """Objects of village 1 (cun01's village): a dispute (accepted, mediating, escalated) with a party,
    events and a transfer."""
    dispute = make_dispute("cun01", title=SECRET_TITLE, parties=[
        {"side": "APPLICANT", "name": SECRET_PARTY, "phone": "13512340000"},
        {"side": "RESPONDENT", "name": "外村当事人戊"}])
    staff = _user("zhongxin")
    committee = db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == dispute.village_id))
    workflow.accept(dispute, staff, category="NEIGHBOUR", source="APPLICATION", risk_level="GREEN",
                    committee_id=committee.id, accepted_date=dispute.found_date)
    workflow.assign_mediators(dispute, staff, mediator_ids=[committee.mediators[0].id])
    workflow.escalate(dispute, staff, reason="外村上报")
    db.session.commit()
    return dispute


def _value_for(rule, name: str, dispute: Dispute):
    """A value for URL argument ``name`` of ``rule`` pointing at the other village's objects."""
    converter = rule._converters.get(name)
    if getattr(converter, "items", None):
        return sorted(converter.items)[0]
    if name in STRINGS:
        return STRINGS[name]
    ids = {"dispute_id": dispute.id, "case_id": dispute.id, "party_id": dispute.parties[0].id,
           "transfer_id": dispute.transfers[0].id, "event_id": dispute.events[-1].id,
           "village_id": dispute.village_id, "unit_id": dispute.village_id, "org_id": dispute.village_id,
           "grid_id": dispute.village.children[0].id, "committee_id": dispute.committee_id,
           "mediator_id": dispute.committee.mediators[0].id, "user_id": _user("cun01").id}
    if name in ids:
        return ids[name]
    if name.endswith("_id"):
        stem = name[:-3]
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            if table.name == stem or table.name.endswith("_" + stem):
                stmt = select(table.c.id)
                if "dispute_id" in table.c:
                    stmt = stmt.where(table.c.dispute_id == dispute.id)
                found = db.session.scalar(stmt.limit(1))
                if found is not None:
                    return found
        return 999999
    if type(converter).__name__ == "IntegerConverter":
        return {"year": dispute.found_date.year, "month": dispute.found_date.month}.get(name, 1)
    return "x"


def _text(response) -> str:
    """The readable text of a response: HTML/JSON as is, PDF and Excel files extracted."""
    import io
    data, kind = response.get_data(), response.mimetype or ""
    if data[:4] == b"%PDF":
        from pypdf import PdfReader
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if data[:2] == b"PK" and "sheet" in kind:
        import openpyxl
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    return data.decode("utf-8", errors="replace")


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIP]


def test_walker_covers_the_case_routes(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    assert {"disputes.case", "disputes.act", "disputes.edit", "disputes.reveal", "disputes.inbox"} <= endpoints


def test_cadre_never_reaches_another_villages_objects(app, client, auth, foreign):
    auth.login("cun03")
    version, status = foreign.version_id, foreign.status
    problems = []
    for rule in _rules(app):
        args = {name: _value_for(rule, name, foreign) for name in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **args)
        # Search terms are parts of the secrets, so a search box echoing its input is no leak.
        queries = [""] if rule.arguments else ["", "?q=秘密纠纷", "?q=当事人丁", "?q=1351234",
                                                  f"?village={foreign.village_id}&village_id={foreign.village_id}"
                                                  f"&dispute_id={foreign.id}&name=当事人丁&phone=1351234"]
        for method in ("GET", "POST"):
            for query in queries:
                for headers in ({}, HX):
                    response = client.open(url + query, method=method, headers=headers,
                                           data={"reason": "x", "dispute_id": foreign.id, "q": "秘密纠纷"})
                    body = _text(response)
                    where = f"{method} {url}{query} {'htmx' if headers else ''} → {response.status_code}"
                    if SECRET_TITLE in body or SECRET_PARTY in body or "13512340000" in body:
                        problems.append(f"leak: {where}")
                    elif rule.arguments and response.status_code not in (403, 404, 405):
                        problems.append(f"status: {where}")
                    elif response.status_code >= 500:
                        problems.append(f"error: {where}")
    assert problems == [], "\n".join(problems)
    db.session.expire_all()
    again = db.session.get(Dispute, foreign.id)
    assert (again.version_id, again.status) == (version, status)
    assert client.get("/disputes/inbox").status_code == 200  # still logged in as cun03
