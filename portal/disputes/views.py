"""Views of the disputes feature: intake (排查登记), the repeat-dispute warning and the ledger (台账).

The case page and workflow views live in :mod:`portal.disputes.case_views`.
"""
from __future__ import annotations

import weakref
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_translations, gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.dictionaries import choices, labels
from portal.disputes import bp, queries
from portal.disputes.forms import (HANDLING_LEVEL_LABELS, RESULT_LABELS, STATUS_GROUP_LABELS, STATUS_LABELS,
                                   IntakeForm, PartyForm, new_submission_key, suggest_title)
from portal.disputes.services import create_dispute, search_key
from portal.extensions import db
from portal.htmx import add_vary, hx_redirect, is_htmx, is_partial
from portal.models.dispute import (APPLICANT, CATEGORY, CHANNEL, FINDER_FORCE, MEASURE, RESPONDENT, RISK_LEVEL,
                                   SCREENING_METHOD, SOURCE, VOIDED, Campaign, Dispute, Party)
from portal.models.org import GRID, TOWN, VILLAGE, OrgUnit
from portal.models.user import GRID_WORKER, VILLAGE_CADRE, User
from portal.permissions import require
from portal.scoping import scoped_disputes, scoped_org_units
from portal.timeutil import local_today
from portal.validation import InvalidValue, parse_resident_id


def case_url(dispute: Dispute) -> str:
    """URL of the case page (``disputes.case``), or of the ledger while that page does not exist."""
    if "disputes.case" in current_app.view_functions:
        return url_for("disputes.case", dispute_id=dispute.id)
    return url_for("disputes.ledger")


# --------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------

def intake_locations(user: User) -> list[tuple[OrgUnit, list[OrgUnit]]]:
    """Where ``user`` may register a dispute: ``[(village, [grids])]`` inside their scope.

    Grid workers get only their own grids (the village itself is not selectable for them);
    everybody else gets every active village and grid of their subtree (portal.scoping).
    """
    if user.role == GRID_WORKER:
        grids = [grid for grid in user.grids if grid.active]
        villages: dict[int, tuple[OrgUnit, list[OrgUnit]]] = {}
        for grid in grids:
            villages.setdefault(grid.parent_id, (grid.parent, []))[1].append(grid)
        return list(villages.values())
    units = db.session.scalars(scoped_org_units(user).where(OrgUnit.level.in_((VILLAGE, GRID)),
                                                            OrgUnit.active.is_(True))).all()
    result = {unit.id: (unit, []) for unit in units if unit.level == VILLAGE}
    for unit in units:
        if unit.level == GRID and unit.parent_id in result:
            result[unit.parent_id][1].append(unit)
    return list(result.values())


def _user_town(user: User) -> OrgUnit | None:
    return user.org_unit.ancestor(TOWN)


def setup_intake_form(form: IntakeForm, user: User) -> dict[int, OrgUnit]:
    """Fill the per-user choices of ``form``; returns the selectable units by id."""
    locations = intake_locations(user)
    allowed: dict[int, OrgUnit] = {}
    groups: dict[str, dict[str, str]] = {}
    for village, grids in locations:
        options = groups.setdefault(village.name, {})
        if user.role != GRID_WORKER:
            options[str(village.id)] = _("%(village)s (whole village)", village=village.name)
            allowed[village.id] = village
        for grid in grids:
            options[str(grid.id)] = grid.name
            allowed[grid.id] = grid
    # One village: plain options; several: one option group per village (WTForms shorthand dict).
    flat = len(groups) == 1
    form.location.choices = {"": _("Choose…"), **(next(iter(groups.values())) if flat else groups)}
    form.category.choices = choices(CATEGORY, blank=_("Choose…"))
    form.risk_level.choices = choices(RISK_LEVEL)
    form.finder_force.choices = choices(FINDER_FORCE, blank="—")
    form.screening_method.choices = choices(SCREENING_METHOD, blank="—")
    form.channel.choices = choices(CHANNEL, blank="—")
    form.source.choices = choices(SOURCE, blank="—")
    form.measures.choices = choices(MEASURE)
    town = _user_town(user)
    campaigns = db.session.scalars(select(Campaign).where(Campaign.town_id == (town.id if town else -1))
                                   .order_by(Campaign.start_date.desc()).limit(20)).all() if town else []
    form.campaign.choices = [("", "—")] + [(str(c.id), c.name) for c in campaigns]
    form._campaigns = {c.id: c for c in campaigns}
    return allowed


def _defaults(user: User) -> dict[str, Any]:
    today = local_today()
    town = _user_town(user)
    running = db.session.scalar(select(Campaign.id).where(
        Campaign.town_id == town.id, Campaign.start_date <= today, Campaign.end_date >= today)
        .order_by(Campaign.start_date.desc())) if town else None
    grid_worker = user.role == GRID_WORKER
    return {
        "found_date": today.isoformat(), "risk_level": "GREEN", "channel": "SCREENING",
        "finder_force": {GRID_WORKER: "GRID_WORKER", VILLAGE_CADRE: "VILLAGE_CADRE"}.get(user.role, ""),
        "screening_method": "GRID_PATROL" if grid_worker else "",
        "source": "GRID_REPORT" if grid_worker else "INITIATIVE",
        "campaign": str(running) if running else "",
        "parties": [{"side": APPLICANT}, {"side": RESPONDENT}],
        "submission_key": new_submission_key(),
    }


def _render_intake(form: IntakeForm, status: int = 200):
    template = "disputes/_intake_form.html" if is_partial() else "disputes/new.html"
    return add_vary(current_app.make_response((render_template(template, form=form), status)))


@bp.route("/new", methods=["GET", "POST"])
@require("dispute.register")
def new():
    """Register a dispute (排查登记): GET shows the form, POST validates and creates it.

    Invalid input re-renders the form with messages next to the fields and status 422. The hidden
    one-time ``submission_key`` makes a repeated POST return the dispute of the first one.
    """
    if request.method == "GET":
        form = IntakeForm(formdata=None, data=_defaults(current_user))
        allowed = setup_intake_form(form, current_user)
        if len(allowed) == 1:
            form.location.data = str(next(iter(allowed)))
        return _render_intake(form)

    form = IntakeForm()
    allowed = setup_intake_form(form, current_user)
    key = form.ensure_submission_key()
    if not form.validate():
        return _render_intake(form, 422)

    existing = db.session.scalar(select(Dispute).where(Dispute.submission_key == key))
    if existing is not None:  # resent form: answer with the dispute it already created
        return _done(existing, created=False)
    location = allowed[int(form.location.data)]
    campaign = form._campaigns.get(int(form.campaign.data)) if form.campaign.data else None
    if campaign is not None and campaign.town_id != location.ancestor(TOWN).id:
        campaign = None
    parties = form.party_values()
    category_label = labels(CATEGORY).get(form.category.data, "")
    notes = form.upgrade_notes()
    fields = {
        "title": form.title.data or suggest_title(parties, category_label),
        "summary": form.summary.data, "claims": form.claims.data or None, "found_date": form.found,
        "finder_name": form.finder_name.data or None, "finder_force": form.finder_force.data or None,
        "screening_method": form.screening_method.data or None, "channel": form.channel.data or None,
        "source": form.source.data or None, "campaign_id": campaign.id if campaign else None,
        "address": form.address.data or None, "category": form.category.data,
        "wage_arrears": form.wage_arrears.data, "public_opinion_risk": form.public_opinion_risk.data,
        "criminal_risk": form.criminal_risk.data, "persons_involved": form.persons_involved.data,
        "amount_involved": form.amount, "risk_level": form.risk_level.data,
        "major_flags": list(form.major_flags.data or []), "measures": list(form.measures.data or []),
        "handling_level": "GRID" if location.level == GRID else "VILLAGE",
    }
    try:
        dispute, created = create_dispute(user=current_user, location=location, fields=fields, parties=parties,
                                          submission_key=key, event_note="\n".join(notes) or None)
        db.session.commit()
    except IntegrityError:  # the same key committed by a concurrent request in the meantime
        db.session.rollback()
        dispute = db.session.scalar(select(Dispute).where(Dispute.submission_key == key))
        if dispute is None:
            raise
        created = False
    for note in notes:
        flash(note, "warning")
    return _done(dispute, created)


def _done(dispute: Dispute, created: bool):
    number = f"{dispute.ledger_year}-{dispute.ledger_serial:04d}"
    if created:
        flash(_("Dispute %(number)s registered: %(title)s", number=number, title=dispute.title), "success")
    else:
        flash(_("This form was already submitted: dispute %(number)s.", number=number), "warning")
    url = case_url(dispute)
    return hx_redirect(url) if is_htmx() else redirect(url, 303)


@bp.route("/new/party")
@require("dispute.register")
def party_row():
    """One empty party row for the intake form (``?index=N``), plus the "add" button for N+1."""
    index = request.args.get("index", type=int) or 0
    index = min(max(index, 0), 10_000)
    row = PartyForm(prefix=f"parties-{index}-", data={"side": RESPONDENT})
    return render_template("disputes/_party_row.html", row=row, index=index, with_add_button=True)


@bp.route("/new/party/remove")
@require("dispute.register")
def party_remove():
    """Nothing: the "remove" button swaps its row with this empty answer (hx-swap=delete)."""
    return ""


@bp.route("/repeat-check")
@require("dispute.view")
def repeat_check():
    """The repeat-dispute warning: other disputes in the user's scope with a party of the same
    normalised name or ID number. Reads ``name``/``id_number`` or any ``parties-N-name`` /
    ``parties-N-id_number`` argument (the typed row). Empty answer when nothing matches."""
    name = id_number = ""
    for key, value in request.args.items():
        if key == "name" or key.endswith("-name"):
            name = name or value
        elif key == "id_number" or key.endswith("-id_number"):
            id_number = id_number or value
    disputes = find_repeat_disputes(current_user, name, id_number)
    return add_vary(current_app.make_response(render_template(
        "disputes/_repeat_warning.html", disputes=disputes, case_url=case_url, status_labels=STATUS_LABELS,
        category_labels=labels(CATEGORY))))


def find_repeat_disputes(user: User, name: str, id_number: str, limit: int = 10) -> list[Dispute]:
    """Disputes visible to ``user`` (portal.scoping) involving a party with the same normalised name
    (services.search_key, at least 2 characters) or the same ID number (15-digit input upgraded),
    newest first, voided ones left out."""
    conditions = []
    name_key = search_key(name)[:80]
    if len(name_key) >= 2:
        conditions.append(Party.name_norm == name_key)
    number = "".join(id_number.split()).upper()[:40]
    if len(number) >= 15:
        try:
            number = parse_resident_id(number).number
        except InvalidValue:
            pass
        conditions.append(Party.id_number == number)
    if not conditions:
        return []
    stmt = (scoped_disputes(user)
            .where(Dispute.id.in_(select(Party.dispute_id).where(or_(*conditions))), Dispute.status != VOIDED)
            .options(selectinload(Dispute.parties))
            .order_by(Dispute.found_date.desc(), Dispute.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------
# Ledger
# --------------------------------------------------------------------------

class Labels(dict):
    """``{code: label}`` that shows the code itself for a code it does not know (``labels[code]``)."""

    def __missing__(self, code):
        return code


#: The ledger's fixed label tables per catalog (Flask-Babel's ``Translations``, one per locale and process:
#: the catalogs do not change while the process runs).
_LEDGER_LABELS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def ledger_labels() -> dict[str, Any]:
    """The ledger's fixed labels and choices (status, handling level, result) in the current locale,
    translated once per catalog instead of once per row and option."""
    translations = get_translations()
    table = _LEDGER_LABELS.get(translations)
    if table is None:
        def plain(mapping):
            return [(code, str(label)) for code, label in mapping.items()]
        table = {"status_labels": Labels(plain(STATUS_LABELS)), "level_labels": Labels(plain(HANDLING_LEVEL_LABELS)),
                 "status_choices": plain(STATUS_GROUP_LABELS) + plain(STATUS_LABELS),
                 "level_choices": plain(HANDLING_LEVEL_LABELS), "result_choices": plain(RESULT_LABELS)}
        _LEDGER_LABELS[translations] = table
    return table


def case_urls(disputes) -> dict[int, str]:
    """``{id: case page URL}`` of ``disputes`` (see :func:`case_url`) with one ``url_for`` for them all."""
    if "disputes.case" not in current_app.view_functions:
        return {d.id: url_for("disputes.ledger") for d in disputes}
    marker = "2147483647"
    prefix, _marker, suffix = url_for("disputes.case", dispute_id=int(marker)).rpartition(marker)
    return {d.id: f"{prefix}{d.id}{suffix}" for d in disputes}


@bp.route("/")
@require("dispute.view")
def ledger():
    """The ledger (台账): filters, sort and pages from the query string (see queries.ledger_query).

    An htmx partial request gets the results fragment; a direct visit, reload or history restore
    gets the whole page.
    """
    args = queries.parse_ledger_args(request.args)
    page = queries.ledger_page(current_user, args)
    context = {"args": args, "page": page, "today": local_today(), "case_urls": case_urls(page.items),
               "category_labels": Labels(labels(CATEGORY)), "risk_labels": Labels(labels(RISK_LEVEL)),
               "channel_labels": Labels(labels(CHANNEL)), **ledger_labels()}
    if is_partial():
        response = current_app.make_response(render_template("disputes/_ledger_rows.html", **context))
        # The filter form sends every field; history gets the tidy URL (no empty arguments).
        page_arg = {"page": page.page} if page.page > 1 else {}
        response.headers["HX-Push-Url"] = url_for("disputes.ledger", **args.url_args(**page_arg))
        return add_vary(response)
    context.update(queries.filter_options(current_user))
    return add_vary(current_app.make_response(render_template("disputes/ledger.html", **context)))
