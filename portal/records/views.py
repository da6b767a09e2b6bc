"""Views of the records feature: the case-page panel and its htmx forms, attachments, printed
documents (PDF) and the verification page of printed copies.

Every view loads the dispute through :func:`portal.scoping.get_dispute_or_404` first, so anything
out of the user's scope answers 404. Writes commit once per request; GETs never commit.
"""
from __future__ import annotations

import weakref

from flask import Response, abort, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import get_translations, gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.htmx import add_vary, is_htmx, is_partial
from portal.models.records import AG_DRAFT, AG_EFFECTIVE, Attachment
from portal.permissions import can, require
from portal.records import bp, documents, services
from portal.records.forms import (ATTACHMENT_KIND_LABELS, JC_RESULT_LABELS, NOTICE_METHOD_LABELS,
                                  PERFORMANCE_LABELS, SATISFACTION_LABELS, VISIT_METHOD_LABELS,
                                  AgreementForm, ConfirmationForm, EffectiveForm, FollowUpForm,
                                  InvestigationForm, NoticeForm, OralAgreementForm, PrintForm, SessionForm,
                                  UploadForm)
from portal.records.services import RecordError
from portal.scoping import get_dispute_or_404
from portal.timeutil import local_today

#: name → (form class, service function, submit label msgid)
RECORD_FORMS = {
    "notice": (NoticeForm, services.add_notice),
    "investigation": (InvestigationForm, services.add_investigation),
    "session": (SessionForm, services.add_session),
    "agreement": (AgreementForm, services.save_agreement),
    "oral": (OralAgreementForm, services.add_oral_agreement),
    "followup": (FollowUpForm, services.add_follow_up),
    "confirmation": (ConfirmationForm, services.add_confirmation),
}


def _mediator_names(dispute) -> list[str]:
    names = [m.name for m in dispute.mediators]
    if dispute.committee:
        names += [m.name for m in dispute.committee.mediators if m.active and m.name not in names]
    return names


_UNSET = object()


def _make_form(name: str, dispute, formdata=None, agreement=_UNSET):
    """Build form ``name`` for ``dispute`` with its choices and sensible defaults.

    ``agreement`` is the current written agreement when the caller has it (saves a query)."""
    cls, _service = RECORD_FORMS.get(name, (None, None)) if name in RECORD_FORMS else (None, None)
    party_choices = [(n, n) for n in services.party_names(dispute)]
    mediator_choices = [(n, n) for n in _mediator_names(dispute)]
    kwargs = {}
    if name in ("agreement", "effective") and agreement is _UNSET:
        agreement = services.current_agreement(dispute)
    if name == "agreement":
        kwargs["party_count"] = len(dispute.parties)
        if formdata is None:
            if agreement is not None:
                kwargs["data"] = {"facts": agreement.facts, "terms": "\n".join(agreement.terms),
                                  "performance": agreement.performance, "copies": agreement.copies,
                                  "mediators": agreement.mediators, "recorder": agreement.recorder,
                                  "signed_date": agreement.signed_date}
            else:
                kwargs["data"] = {"facts": dispute.summary, "copies": len(dispute.parties) + 1,
                                  "mediators": [m.name for m in dispute.mediators]}
    elif name == "effective":
        cls = EffectiveForm
        if formdata is None and agreement is not None:
            kwargs["data"] = {"effective_date": agreement.signed_date}
    elif name == "upload":
        cls = UploadForm
    elif formdata is None:
        defaults = {"notice": {"given_on": local_today(), "parties": [n for n, _l in party_choices]},
                    "oral": {"facts": dispute.summary, "mediators": [m.name for m in dispute.mediators],
                             "agreed_date": local_today()},
                    "session": {"mediators": [m.name for m in dispute.mediators],
                                "parties_present": [n for n, _l in party_choices], "subject": dispute.title},
                    "followup": {"visited": [n for n, _l in party_choices]}}
        kwargs["data"] = defaults.get(name, {})
    form = cls(formdata=formdata, prefix=name, **kwargs)
    for field_name in ("parties", "parties_present", "visited"):
        if hasattr(form, field_name):
            getattr(form, field_name).choices = party_choices
    if hasattr(form, "mediators"):
        form.mediators.choices = mediator_choices
    return form


#: The records forms, in panel order. Only the forms the page shows open (an error, the section just
#: saved, ``?open=``) are built with the page; the others are fetched when their section is opened
#: (:func:`record_form`), so a case page does not build and render nine forms it rarely uses.
PANEL_FORMS = ("notice", "investigation", "session", "agreement", "oral", "followup", "confirmation",
               "effective", "upload")


#: The panel's label tables translated, per catalog (a Flask-Babel ``Translations``, one per locale and
#: process; catalogs do not change while the process runs): rows look codes up in plain dicts instead of
#: translating a lazy string per row.
_PANEL_LABELS: "weakref.WeakKeyDictionary[object, dict[str, dict[str, str]]]" = weakref.WeakKeyDictionary()


def panel_labels() -> dict[str, dict[str, str]]:
    """Code → text tables of the panel in the current locale: ``notice``, ``visit``, ``satisfaction``,
    ``performance``, ``jc`` and ``attachment`` (cached per catalog)."""
    translations = get_translations()
    tables = _PANEL_LABELS.get(translations)
    if tables is None:
        tables = _PANEL_LABELS[translations] = {
            name: {code: str(label) for code, label in table.items()} for name, table in (
                ("notice", NOTICE_METHOD_LABELS), ("visit", VISIT_METHOD_LABELS),
                ("satisfaction", SATISFACTION_LABELS), ("performance", PERFORMANCE_LABELS),
                ("jc", JC_RESULT_LABELS), ("attachment", ATTACHMENT_KIND_LABELS))}
    return tables


def panel_context(dispute, forms: dict | None = None, open_section: str | None = None,
                  error: str | None = None) -> dict:
    """Everything ``records/_panel.html`` shows for ``dispute`` (records, agreement state, blockers,
    the judicial-confirmation countdown, unprintable characters, the forms to show open).

    ``forms`` are erroring forms to show (name → form); the form of ``open_section`` is built too;
    every other form is loaded on demand (``p.forms`` lacks it, the template shows a loader).
    The unprintable-character warning checks the case's source text
    (:func:`documents.check_printable_source`), not a rendered dossier.
    """
    recs = services.records_of(dispute)
    agreement = recs["agreement"]
    editable = services.is_editable(dispute) and can(current_user, "dispute.mediate")
    built = dict(forms or {})
    if editable:
        for name in (open_section, "effective" if open_section == "agreement" else None):
            if name in PANEL_FORMS and name not in built:
                built[name] = _make_form(name, dispute, agreement=agreement)
        if agreement is not None and agreement.status in ("PRINTED", "SIGNED_SCAN_ATTACHED") and "effective" not in built:
            built["effective"] = _make_form("effective", dispute, agreement=agreement)
    may_print = can(current_user, "document.print")
    unprintable = documents.check_printable_source(dispute, recs) if may_print else []
    scan = services.signed_scan(agreement, recs["attachments"]) if agreement else None
    return {
        "dispute": dispute, "recs": recs, "agreement": agreement, "forms": built, "editable": editable,
        "may_print": may_print, "open_section": open_section, "error": error,
        "blockers": services.agreement_blockers(agreement, attachments=recs["attachments"]) if agreement else [],
        "signature_items": services.signature_items(agreement) if agreement else [],
        "scan": scan,
        "deadline": services.confirmation_deadline(agreement),
        "days_left": services.confirmation_days_left(agreement),
        "notice_given": bool(recs["notices"]),
        "unprintable": unprintable,
        "unprintable_codes": ["U+%04X" % ord(char) for char in unprintable],
        "documents": documents.DOCUMENTS,
        "labels": panel_labels(),
        "AG_DRAFT": AG_DRAFT, "AG_EFFECTIVE": AG_EFFECTIVE,
    }


@bp.app_template_global()
def codepoint(char: str) -> int:
    """Template helper: the code point of one character (for U+XXXX in warnings)."""
    return ord(char)


@bp.app_template_global()
def records_panel(dispute) -> dict:
    """Template global for the case page: ``{% set p = records_panel(dispute) %}`` (read-only)."""
    return panel_context(dispute)


def _panel_response(dispute, status: int = 200, **kwargs):
    """The panel fragment for htmx, or the full records page otherwise."""
    p = panel_context(dispute, **kwargs)
    template = "records/_panel.html" if is_partial() else "records/page.html"
    return add_vary(make_response(render_template(template, p=p), status))


@bp.get("/<int:dispute_id>")
@require("dispute.view")
def case_records(dispute_id: int):
    """The records of a case on their own page (the case page embeds the same panel).

    ``?open=<form>`` opens that section with its form built (the link shown where htmx is missing).
    """
    dispute = get_dispute_or_404(dispute_id, current_user)
    wanted = request.args.get("open")
    return _panel_response(dispute, open_section=wanted if wanted in PANEL_FORMS else None)


@bp.get("/<int:dispute_id>/forms/<any(notice, investigation, session, agreement, oral, followup, confirmation, effective, upload):name>")
@require("dispute.mediate")
def record_form(dispute_id: int, name: str):
    """One empty records form (htmx: the fragment, fetched when its section is first opened; otherwise
    the records page with that section open). 404 out of scope, 403 without ``dispute.mediate``;
    a closed case answers the panel's read-only note instead of a form (409)."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    if not is_partial():
        return redirect(url_for("records.case_records", dispute_id=dispute.id, open=name) + f"#records-form-{name}")
    if not services.is_editable(dispute):
        return add_vary(make_response(render_template("errors/_error.html", code=409, message=_(
            "This case is closed; its records can no longer be changed.")), 409))
    form = _make_form(name, dispute)
    return add_vary(make_response(render_template("records/_form_any.html", name=name, form=form,
                                                  dispute=dispute, p={"dispute": dispute})))


def _back(dispute):
    """After a non-htmx POST: back to the page the form was on (same-site path) or the records page."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("records.case_records", dispute_id=dispute.id))


def _form_error(dispute, name: str, form):
    """422 with the erroring form: the form fragment for htmx, else the full page."""
    if is_partial():
        response = make_response(render_template("records/_form_any.html", name=name, form=form, dispute=dispute,
                                                 p={"dispute": dispute}), 422)
        return add_vary(response)
    return _panel_response(dispute, 422, forms={name: form}, open_section=name)


@bp.post("/<int:dispute_id>/<any(notice, investigation, session, agreement, oral, followup, confirmation):name>")
@require("dispute.mediate")
def save_record(dispute_id: int, name: str):
    """Add a record (or save the agreement draft) from its panel form. 422 with the form on errors."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    form = _make_form(name, dispute, formdata=request.form)
    if form.validate_on_submit():
        try:
            RECORD_FORMS[name][1](dispute, current_user, form.values())
        except RecordError as exc:
            db.session.rollback()
            dispute = get_dispute_or_404(dispute_id, current_user)
            form.add_error(exc)
            return _form_error(dispute, name, form)
        db.session.commit()
        return _panel_response(dispute, open_section=name) if is_htmx() else _back(dispute)
    return _form_error(dispute, name, form)


@bp.post("/<int:dispute_id>/agreement/signatures")
@require("dispute.mediate")
def save_signatures(dispute_id: int):
    """Store the signature checklist of the printed agreement (人民调解法 第二十九条)."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    agreement = services.current_agreement(dispute) or abort(404)
    try:
        services.set_signatures(agreement, set(request.form.getlist("signed")))
    except RecordError as exc:
        db.session.rollback()
        return _panel_response(dispute, 422, open_section="agreement", error=str(exc.message))
    db.session.commit()
    return _panel_response(dispute, open_section="agreement") if is_htmx() else _back(dispute)


@bp.post("/<int:dispute_id>/agreement/effective")
@require("dispute.mediate")
def mark_effective(dispute_id: int):
    """Mark the written agreement effective (domain.md 8.3 + signed scan); 422 lists the blockers."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    agreement = services.current_agreement(dispute) or abort(404)
    form = _make_form("effective", dispute, formdata=request.form)
    if form.validate_on_submit():
        try:
            services.mark_effective(agreement, dispute, current_user, form.effective_date.data)
        except RecordError as exc:
            db.session.rollback()
            dispute = get_dispute_or_404(dispute_id, current_user)
            form.add_error(exc)
            return _form_error(dispute, "effective", form)
        db.session.commit()
        return _panel_response(dispute, open_section="agreement") if is_htmx() else _back(dispute)
    return _form_error(dispute, "effective", form)


@bp.post("/<int:dispute_id>/attachments")
@require("dispute.mediate")
def upload(dispute_id: int):
    """Upload a signed scan or evidence (PDF/JPEG/PNG, type from content, size-limited)."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    form = UploadForm(prefix="upload")
    if form.validate_on_submit():
        upload_file = form.file.data
        title = form.title.data or str(ATTACHMENT_KIND_LABELS[form.kind.data])
        try:
            services.store_attachment(dispute, current_user, upload_file.stream, upload_file.filename,
                                      form.kind.data, title, agreement=services.current_agreement(dispute))
        except RecordError as exc:
            db.session.rollback()
            dispute = get_dispute_or_404(dispute_id, current_user)
            form.add_error(exc)
            return _form_error(dispute, "upload", form)
        db.session.commit()
        return _panel_response(dispute, open_section="attachments") if is_htmx() else _back(dispute)
    return _form_error(dispute, "upload", form)


@bp.get("/<int:dispute_id>/attachments/<int:attachment_id>")
@require("pii.reveal")
def download_attachment(dispute_id: int, attachment_id: int):
    """Serve an attachment to a user in scope (never from static/), with its Chinese file name."""
    dispute = get_dispute_or_404(dispute_id, current_user)
    row = services.get_record_or_404(Attachment, attachment_id, dispute)
    path = services.attachment_path(row)
    if not path.is_file():
        abort(404)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[row.content_type]
    response = send_file(path, mimetype=row.content_type, max_age=0)
    response.headers["Content-Disposition"] = documents.content_disposition(
        f"{row.title}{dispute.case_no or ''}.{extension}", "inline" if request.args.get("inline") else "attachment")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _pdf_response(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = documents.content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _kind_or_404(kind: str) -> str:
    if kind not in documents.DOCUMENTS:
        abort(404)
    return kind


@bp.get("/<int:dispute_id>/documents/<kind>.pdf")
@require("document.print")
def preview_document(dispute_id: int, kind: str):
    """A draft of document ``kind`` with the 草稿 watermark (not logged, not for signing).

    Characters that cannot print are listed in a red box at the top of the draft.
    """
    dispute = get_dispute_or_404(dispute_id, current_user)
    _kind_or_404(kind)
    unprintable = documents.check_printable(dispute, kind)
    pdf, _pages = documents.document_pdf(dispute, kind, draft=True, unprintable=unprintable)
    name = documents.pdf_filename(kind, dispute).removesuffix(".pdf") + "（草稿）.pdf"
    return _pdf_response(pdf, name)


@bp.post("/<int:dispute_id>/documents/<kind>.pdf")
@require("document.print")
def print_document(dispute_id: int, kind: str):
    """The final print of document ``kind``: no watermark, a verification code and QR code, logged
    in the print log and the audit log (PRINT). A final agreement print moves a DRAFT to PRINTED.

    If some characters cannot print (e.g. 𧮞 U+27B9E, not in Noto CJK), the user sees a 422 page
    listing them and must tick "I will write them by hand" to print: a box is never printed silently.
    """
    dispute = get_dispute_or_404(dispute_id, current_user)
    _kind_or_404(kind)
    form = PrintForm(prefix="print")
    unprintable = documents.check_printable(dispute, kind)
    agreement = services.current_agreement(dispute)
    if kind == "agreement" and agreement is None:
        abort(404)
    if not form.validate_on_submit() or (unprintable and not form.confirm_unprintable.data):
        if unprintable and form.copies.data and not form.errors:
            form.confirm_unprintable.errors = [_("Tick this box to print anyway.")]
        return render_template("records/print_confirm.html", dispute=dispute, kind=kind, form=form,
                               title=documents.DOCUMENTS[kind], unprintable=unprintable), 422
    if kind == "agreement":
        try:
            services.mark_printed(agreement, dispute, current_user)
        except RecordError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
            return render_template("records/print_confirm.html", dispute=dispute, kind=kind, form=form,
                                   title=documents.DOCUMENTS[kind], unprintable=unprintable), 422
    code = services.new_code()
    verify_url = url_for("records.verify", code=code, _external=True)
    pdf, pages = documents.document_pdf(dispute, kind, draft=False, code=code, verify_url=verify_url,
                                        unprintable=unprintable)
    ctx = documents.base_context(dispute)
    services.log_print(dispute, current_user, kind=kind, title=documents.DOCUMENTS[kind],
                       version=documents.version_of(kind, ctx), code=code, copies=form.copies.data, pages=pages,
                       pdf=pdf, record_id=agreement.id if kind == "agreement" and agreement else None)
    db.session.commit()
    return _pdf_response(pdf, documents.pdf_filename(kind, dispute))


@bp.get("/verify/<code>")
@login_required
def verify(code: str):
    """Which document, case and version a printed copy is (intranet; user in scope, else 404)."""
    row = services.find_print(code)
    if row is None:
        abort(404)
    dispute = get_dispute_or_404(row.dispute_id, current_user)
    return render_template("records/verify.html", row=row, dispute=dispute)
