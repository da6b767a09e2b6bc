"""A case page builds only the forms it shows open (issue 7): the others are fetched by htmx when their
section is first opened, with a plain link where htmx is missing. The unprintable-character warning is
found in the case's source text without rendering the dossier."""
from __future__ import annotations

import pytest

from portal.records import documents
from tests.test_records_support import case, fill_case, make_case  # noqa: F401 (fixture)
from tests.test_workflow import advance, make_dispute

HX = {"HX-Request": "true"}
RECORD_FORMS = ["notice", "investigation", "session", "agreement", "oral", "followup", "upload"]


def test_case_page_has_loaders_not_forms(client, auth, case):
    auth.login("cun01")
    html = client.get(f"/disputes/{case.id}").get_data(as_text=True)
    for name in RECORD_FORMS:
        assert f'id="records-slot-{name}"' in html and f'id="records-form-{name}"' not in html
        assert f'hx-get="/records/{case.id}/forms/{name}"' in html
    assert 'id="case-edit-slot"' in html and 'name="edit-version_id"' not in html
    assert 'id="act-slot-' in html and 'hx-trigger="toggle once"' in html


@pytest.mark.parametrize("name", RECORD_FORMS)
def test_record_form_fragment(client, auth, case, name):
    auth.login("cun01")
    r = client.get(f"/records/{case.id}/forms/{name}", headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and f'id="records-form-{name}"' in html
    # without htmx: the records page with that form open
    r = client.get(f"/records/{case.id}/forms/{name}")
    assert r.status_code == 302 and f"open={name}" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f'id="records-form-{name}"' in html


def test_record_form_defaults_and_scope(client, auth, case):
    auth.login("cun01")
    html = client.get(f"/records/{case.id}/forms/session", headers=HX).get_data(as_text=True)
    assert case.title in html and case.parties[0].name in html        # subject and parties preset
    auth.login("cun02")
    assert client.get(f"/records/{case.id}/forms/session", headers=HX).status_code == 404
    auth.login("xian")
    assert client.get(f"/records/{case.id}/forms/session", headers=HX).status_code == 403


def test_action_and_edit_forms_on_demand(client, auth):
    dispute = advance(make_dispute(), "ACCEPTED")
    auth.login("zhongxin")
    r = client.get(f"/disputes/{dispute.id}/actions/assign_mediators", headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and 'name="assign_mediators-' in html
    html = client.get(f"/disputes/{dispute.id}/actions/assign_mediators").get_data(as_text=True)
    assert 'id="act-assign_mediators" open' in html and 'name="assign_mediators-' in html
    assert client.get(f"/disputes/{dispute.id}/actions/accept", headers=HX).status_code == 404  # not in this state
    r = client.get(f"/disputes/{dispute.id}/edit", headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and f'value="{dispute.version_id}"' in html
    auth.login("xian")
    assert client.get(f"/disputes/{dispute.id}/actions/assign_mediators", headers=HX).status_code == 404


@pytest.mark.parametrize("names, expected", [(("王五", "李四"), []),
                                             (("陈\U0003134A", "李四"), ["\U0003134A"])])
def test_source_text_check_matches_the_rendered_dossier(app, client, auth, user, names, expected):
    dispute = make_case(user("cun01"), names=names)
    auth.login("cun01")
    fill_case(client, dispute)
    with app.test_request_context():
        from flask_login import login_user
        login_user(user("cun01"))
        assert documents.check_printable_source(dispute) == expected
        assert documents.check_printable(dispute, "dossier") == expected
        assert "李四" in documents.source_text(dispute)
