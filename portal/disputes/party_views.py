"""Editing and adding the parties of a case on the case page (htmx forms, optimistic lock).

Loads the dispute through :func:`portal.scoping.get_dispute_or_404` and the party through the
dispute (out of scope or not its party: 404), then the capability ``dispute.edit`` (403). The party
form is the intake row (:class:`portal.disputes.forms.PartyForm`): same normalisation and checks.
A change writes an EDITED event (old → new per field, ID number and phone masked), refreshes the
search text and the party snapshot of a draft agreement, and bumps ``Dispute.version_id``.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.attributes import flag_modified

from portal.disputes import bp
from portal.disputes.case_forms import PartyEditForm, party_form
from portal.disputes.forms import ID_TYPE_LABELS, PARTY_TYPE_LABELS, SEX_LABELS, SIDE_LABELS
from portal.extensions import db
from portal.htmx import add_vary, is_htmx
from portal.models.dispute import ARCHIVED, VOIDED, Dispute, Party
from portal.permissions import can
from portal.scoping import get_dispute_or_404
from portal.timeutil import local_today
from portal.validation import mask_id, mask_phone

#: Party columns compared for the EDITED event, in form order.
PARTY_FIELDS = ("side", "party_type", "name", "id_type", "id_number", "sex", "ethnicity", "occupation", "phone",
                "address", "legal_rep_name", "agent_name", "agent_relation")


def party_field_labels() -> dict[str, str]:
    """Timeline labels of the party fields (keys ``party_<column>``)."""
    form = PartyEditForm(formdata=None, meta={"csrf": False})
    return {f"party_{name}": str(getattr(form, name).label.text) for name in PARTY_FIELDS}


def _shown(name: str, value: Any) -> Optional[str]:
    """A party value as stored in the event: codes as labels, ID number and phone masked."""
    if value in (None, ""):
        return None
    table = {"side": SIDE_LABELS, "party_type": PARTY_TYPE_LABELS, "id_type": ID_TYPE_LABELS, "sex": SEX_LABELS}
    if name in table:
        return str(table[name].get(value, value))
    if name == "id_number":
        return mask_id(value)
    if name == "phone":
        return mask_phone(value)
    return str(value)


def save_party(dispute: Dispute, party: Optional[Party], values: dict[str, Any], user) -> bool:
    """Apply validated ``values`` (:meth:`PartyForm.check`) to ``party`` (None: add a new party).

    Writes an EDITED event with old → new per changed field, refreshes the search text and a draft
    agreement's party snapshot (domain.md 4.7: a printed or signed agreement keeps its snapshot) and
    bumps the case's ``version_id``. Returns False when nothing changed. Does not commit.
    """
    from portal.disputes.services import fill_party, record_event, refresh_search_text
    from portal.records.services import AG_DRAFT, current_agreement, snapshot_parties
    changes = []
    for name in PARTY_FIELDS:
        old = getattr(party, name) if party is not None else None
        if (old or None) != (values.get(name) or None):
            changes.append({"field": f"party_{name}", "old": _shown(name, old), "new": _shown(name, values.get(name))})
    if not changes:
        return False
    if party is None:
        party = Party(sort=max([p.sort or 0 for p in dispute.parties], default=0) + 1)
        dispute.parties.append(party)
        note = _("Party added: %(name)s", name=values["name"])
    else:
        note = _("Party edited: %(name)s", name=party.name)
    fill_party(party, values)
    refresh_search_text(dispute)
    flag_modified(dispute, "title")  # bump version_id: the party is part of the case
    record_event(dispute, "EDITED", user=user, note=note, changes=changes,
                 from_status=dispute.status, to_status=dispute.status)
    db.session.flush()
    agreement = current_agreement(dispute)
    if agreement is not None and agreement.status == AG_DRAFT:
        agreement.parties = snapshot_parties(dispute)
    return True


def _party_or_404(dispute: Dispute, party_id: int) -> Party:
    party = next((p for p in dispute.parties if p.id == party_id), None)
    if party is None:
        abort(404)
    return party


def _render_form(dispute: Dispute, party: Optional[Party], form: PartyEditForm, status: int = 200):
    """The form fragment (htmx, placed over the form) or the party page (without htmx)."""
    template = "disputes/_case_party_form.html" if is_htmx() else "disputes/party_edit.html"
    html = render_template(template, dispute=dispute, party=party, form=form,
                           conflict=status == 409, side_labels=SIDE_LABELS)
    response = add_vary(current_app.make_response((html, status)))
    if is_htmx() and request.method == "POST":
        response.headers["HX-Retarget"] = f"#party-form-{party.id if party else 'new'}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _party_form_view(dispute_id: int, party_id: Optional[int]):
    from portal.disputes.case_views import _load, _render_case
    dispute = get_dispute_or_404(dispute_id, current_user)
    party = _party_or_404(dispute, party_id) if party_id is not None else None
    if not can(current_user, "dispute.edit") or dispute.status in (ARCHIVED, VOIDED):
        abort(403)
    if request.method == "GET":
        return _render_form(dispute, party, party_form(dispute, party))
    form = party_form(dispute, party, submitted=True)
    if form.version_id.data != str(dispute.version_id):
        return _render_form(dispute, party, form, 409)
    if form.validate_on_submit() and form.check(dispute.found_date or local_today()):
        save_party(dispute, party, form.cleaned, current_user)
        db.session.commit()
        if is_htmx():
            return _render_case(_load(dispute_id, page=True))
        return redirect(url_for("disputes.case", dispute_id=dispute_id), 303)
    return _render_form(dispute, party, form, 422)


@bp.route("/<int:dispute_id>/parties/<int:party_id>/edit", methods=["GET", "POST"])
@login_required
def party_edit(dispute_id: int, party_id: int):
    """Edit one party of the case (all intake fields). 404 out of scope or not this case's party,
    422 with the input kept on invalid values, 409 with the input kept and the stored values shown
    when the case changed since the form was loaded."""
    return _party_form_view(dispute_id, party_id)


@bp.route("/<int:dispute_id>/parties/new", methods=["GET", "POST"])
@login_required
def party_add(dispute_id: int):
    """Add a party to the case (same form and rules as :func:`party_edit`)."""
    return _party_form_view(dispute_id, None)
