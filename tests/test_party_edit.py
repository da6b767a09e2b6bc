"""Editing and adding parties on the case page (party_views): intake rules, 422/409 with input kept,
scope 404, EDITED event, search text and the draft agreement's party snapshot."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models.dispute import Dispute
from portal.records import services as records
from tests.test_workflow import _user, advance, make_dispute

HX = {"HX-Request": "true"}
VALID_ID = "11010519491231002X"


def _data(dispute, party=None, **changes):
    prefix = f"p{party.id}" if party is not None else "pnew"
    values = {"side": "APPLICANT", "party_type": "PERSON", "name": "", "phone": "", "id_type": "RESIDENT_ID",
              "id_number": "", "sex": "", "ethnicity": "", "occupation": "", "address": "", "legal_rep_name": "",
              "agent_name": "", "agent_relation": ""}
    if party is not None:
        values.update({k: getattr(party, k) or "" for k in values})
    values.update(changes)
    data = {f"{prefix}-{k}": v for k, v in values.items()}
    data[f"{prefix}-version_id"] = str(dispute.version_id)
    return data


def test_adding_the_address_removes_the_agreement_blocker(client, auth):
    dispute = advance(make_dispute(), "MEDIATING")
    for party in dispute.parties:
        party.id_number, party.address = None, None
    agreement = records.save_agreement(dispute, _user("zhongxin"), {"facts": "事实", "terms": ["条款"]})
    db.session.commit()
    assert any("address" in p or "住址" in p for p in records.agreement_blockers(agreement))
    auth.login("zhongxin")
    for party in list(dispute.parties):
        db.session.refresh(dispute)
        response = client.post(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX,
                               data=_data(dispute, party, address="某镇某村1号", id_number=VALID_ID, sex=""))
        assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert all(p.address == "某镇某村1号" for p in dispute.parties)
    agreement = records.current_agreement(dispute)
    problems = records.agreement_blockers(agreement, require_scan=False)
    assert not any("address" in p or "住址" in p for p in problems), problems
    event = dispute.events[-1]
    assert event.action == "EDITED"
    assert {"field": "party_address", "old": None, "new": "某镇某村1号"} in event.changes
    id_change = next(c for c in event.changes if c["field"] == "party_id_number")
    assert id_change["new"] == "110105********002X"  # masked in the timeline


@pytest.mark.parametrize("bad,message", [("110105194912310021", "check"), ("12", "")])
def test_invalid_id_is_422_with_input_kept(client, auth, bad, message):
    dispute = make_dispute()
    party = dispute.parties[0]
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX,
                           data=_data(dispute, party, id_number=bad, address="保留的地址"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert bad in html and "保留的地址" in html and 'class="error"' in html
    assert response.headers["HX-Retarget"] == f"#party-form-{party.id}"
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).parties[0].address != "保留的地址"


def test_add_party_and_search_text(client, auth):
    dispute = make_dispute()
    count = len(dispute.parties)
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/parties/new", headers=HX,
                           data=_data(dispute, side="THIRD", name="新增的第三人", phone="13800138000"))
    assert response.status_code == 200
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert len(dispute.parties) == count + 1 and dispute.parties[-1].name == "新增的第三人"
    assert "新增的第三人" in dispute.search_text
    assert "新增的第三人" in response.get_data(as_text=True)


def test_stale_party_edit_is_409_keeping_the_typed_values(app, auth):
    dispute = make_dispute()
    party = dispute.parties[0]
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/auth/login", data={"username": "zhongxin", "password": "portal-demo-2026"})
    data_a, data_b = _data(dispute, party, address="第一个人的地址"), _data(dispute, party, address="第二个人的地址")
    assert first.post(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX, data=data_a).status_code == 200
    response = second.post(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX, data=data_b)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "第二个人的地址" in html and "第一个人的地址" in html  # typed kept, stored shown
    assert f'href="/disputes/{dispute.id}"' in html
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).parties[0].address == "第一个人的地址"


def test_other_village_party_is_404(client, auth):
    dispute = make_dispute("cun01")
    mine = make_dispute("cun03")
    auth.login("cun03")
    party = dispute.parties[0]
    assert client.get(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX).status_code == 404
    assert client.post(f"/disputes/{dispute.id}/parties/{party.id}/edit", headers=HX,
                       data=_data(dispute, party, address="x")).status_code == 404
    assert client.post(f"/disputes/{dispute.id}/parties/new", headers=HX, data=_data(dispute, name="x")).status_code == 404
    # another case's party through my own case: 404 too
    assert client.get(f"/disputes/{mine.id}/parties/{party.id}/edit", headers=HX).status_code == 404


def test_case_page_offers_the_party_forms(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert f"/disputes/{dispute.id}/parties/{dispute.parties[0].id}/edit" in html
    assert f"/disputes/{dispute.id}/parties/new" in html
    fragment = client.get(f"/disputes/{dispute.id}/parties/{dispute.parties[0].id}/edit", headers=HX)
    assert fragment.status_code == 200 and dispute.parties[0].name in fragment.get_data(as_text=True)
