"""Views of the ledger import/export feature (台账导入导出).

Import: upload → dry run page (every row as it will be stored, every problem with its row and
column) → import of the good rows in chunks driven by an htmx progress fragment that re-posts itself
(``hx-trigger="load delay:500ms"``), one commit per chunk → rows in the ledger. The bad rows download
as an ``.xlsx`` to fix and re-import.

Export: ``POST /export`` checks the form, counts the rows of the ledger as filtered (same arguments
as the ledger page, :func:`portal.disputes.queries.ledger_query`), writes the ``EXPORT`` audit row and
redirects to ``GET /exports/<audit id>.<fmt>``, which streams the file without writing anything (the
audit row is the download ticket, valid for its user for :data:`TICKET_MINUTES`).
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.audit import audit
from portal.dictionaries import labels
from portal.extensions import db
from portal.htmx import add_vary, is_partial
from portal.ledger_io import bp, export, parser, services
from portal.ledger_io.forms import ExportForm, UploadForm
from portal.models.ledger_io import ImportBatch
from portal.models.org import VILLAGE
from portal.models.user import AuditLog
from portal.permissions import can, require
from portal.scoping import scoped_disputes, scoped_org_units
from portal.timeutil import local_today, now_utc

TICKET_MINUTES = 15
FORM_FIELDS = {"fmt", "unmasked", "reason", "csrf_token"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_select(user, args: MultiDict):
    """The ledger as filtered on screen: :func:`portal.disputes.queries.ledger_query` (scoped).
    Falls back to the whole scope, newest first, where the ledger feature is not installed."""
    try:
        from portal.disputes.queries import ledger_query
    except ImportError:  # pragma: no cover - the disputes feature provides it
        from portal.models.dispute import Dispute
        return scoped_disputes(user).where(Dispute.status != "VOIDED").order_by(Dispute.found_date.desc(),
                                                                                  Dispute.id.desc())
    return ledger_query(user, args)


def _filter_args(source: MultiDict) -> MultiDict:
    return MultiDict([(k, v) for k, v in source.items(multi=True)
                      if k not in FORM_FIELDS and k != "page" and str(v).strip()])


def _ledger_url(args: MultiDict | None = None) -> str | None:
    if "disputes.ledger" not in current_app.view_functions:
        return None
    return url_for("disputes.ledger", **(args.to_dict(flat=False) if args else {}))


def _index_context(upload_form: UploadForm | None = None, export_form: ExportForm | None = None,
                   args: MultiDict | None = None) -> dict[str, Any]:
    args = _filter_args(request.args if args is None else args)
    batches = []
    if can(current_user, "ledger.import"):
        batches = db.session.scalars(select(ImportBatch).where(ImportBatch.user_id == current_user.id)
                                     .order_by(ImportBatch.id.desc()).limit(10)).all()
    stmt = ledger_select(current_user, args)
    return {"upload_form": upload_form or UploadForm(), "export_form": export_form or ExportForm(),
            "filters": list(args.items(multi=True)), "export_count": export.count_rows(stmt),
            "batches": batches, "ledger_url": _ledger_url(args)}


@bp.route("/")
@require("ledger.export")
def index():
    """Import (upload for a dry run, template, recent batches) and export of the ledger as filtered
    (the query arguments of the ledger page are carried into the export form)."""
    return render_template("ledger_io/index.html", **_index_context())


@bp.route("/template.xlsx")
@require("ledger.import")
def template():
    """The import template (.xlsx): the ledger header with text/date-formatted columns."""
    villages = [v.name for v in db.session.scalars(scoped_org_units(current_user, VILLAGE))]
    dictionaries = {kind: labels(kind) for kind in ("category", "risk_level", "measure")}
    out = export.template_workbook(villages, dictionaries)
    return send_file(out, mimetype=XLSX_MIME, as_attachment=True, download_name="台账导入模板.xlsx")


@bp.route("/upload", methods=["POST"])
@require("ledger.import")
def upload():
    """Read an uploaded ledger and store its dry run; then show it. Bad files answer 422 with the
    message next to the file field."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read()
        try:
            batch = services.create_batch(current_user, storage.filename, data)
        except parser.FileError as error:
            form.file.errors = [str(error.args[0])]
        else:
            db.session.commit()
            return redirect(url_for("ledger_io.batch", batch_id=batch.id), code=303)
    db.session.rollback()
    return render_template("ledger_io/index.html", **_index_context(upload_form=form, args=MultiDict())), 422


@bp.route("/batches/<int:batch_id>")
@require("ledger.import")
def batch(batch_id: int):
    """The dry run: counts, and every row (100 per page, filter by state) as it will be stored."""
    item = services.get_batch_or_404(batch_id, current_user)
    stored = services.load_batch_rows(item)
    state = request.args.get("state", "")
    state = state if state in ("good", "bad", "known") else ""
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    rows, pages = services.preview_rows(stored, state, page)
    response = current_app.make_response(render_template(
        "ledger_io/batch.html", batch=item, rows=rows, pages=pages, page=min(max(page, 1), pages), state=state,
        labels=stored["labels"], dicts={k: labels(k) for k in ("category", "risk_level", "measure")},
        status_labels=_status_labels(), ledger_url=_ledger_url()))
    return add_vary(response)


def _status_labels() -> dict[str, str]:
    try:
        from portal.disputes.forms import STATUS_LABELS
    except ImportError:  # pragma: no cover
        return {}
    return {code: str(label) for code, label in STATUS_LABELS.items()}


@bp.route("/batches/<int:batch_id>/import", methods=["POST"])
@require("ledger.import")
def run_import(batch_id: int):
    """Import the next chunk of good rows (one transaction). htmx gets the progress fragment, which
    posts here again after 500 ms until the batch is done; without JavaScript, back to the batch."""
    item = services.get_batch_or_404(batch_id, current_user)
    services.import_chunk(item, current_user)
    db.session.commit()
    if is_partial():
        return add_vary(current_app.make_response(render_template("ledger_io/_progress.html", batch=item,
                                                                  ledger_url=_ledger_url())))
    return redirect(url_for("ledger_io.batch", batch_id=item.id), code=303)


@bp.route("/batches/<int:batch_id>/errors.xlsx")
@require("ledger.import")
def bad_rows(batch_id: int):
    """The rows with errors, in the uploaded layout with an error column, to fix and re-import."""
    item = services.get_batch_or_404(batch_id, current_user)
    out = services.bad_rows_workbook(item)
    stem = item.filename.rsplit(".", 1)[0]
    return send_file(out, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{stem}-待修改.xlsx")


@bp.route("/export", methods=["POST"])
@require("ledger.export")
def export_request():
    """Check an export request, write the EXPORT audit row (filters, row count, masked or not,
    reason) and send the browser to the download. Unmasked exports need ``export.unmasked`` (403
    otherwise) and a reason (422 with the message next to the field)."""
    form = ExportForm()
    args = _filter_args(request.form)
    if form.unmasked.data and not can(current_user, "export.unmasked"):
        abort(403)
    if not form.validate_on_submit():
        db.session.rollback()
        return render_template("ledger_io/index.html", **_index_context(export_form=form, args=args)), 422
    masked = not form.unmasked.data
    count = export.count_rows(ledger_select(current_user, args))
    row = audit("EXPORT", entity="ledger", detail={
        "filters": args.to_dict(flat=False), "rows": count, "masked": masked, "format": form.fmt.data,
        "reason": (form.reason.data or "").strip() or None})
    db.session.commit()
    return redirect(url_for("ledger_io.download", audit_id=row.id, fmt=form.fmt.data), code=303)


@bp.route("/exports/<int:audit_id>.<any(xlsx, csv):fmt>")
@require("ledger.export")
def download(audit_id: int, fmt: str):
    """Stream an export recorded by :func:`export_request` (its audit row holds the filters). Only
    its requester may download it, within :data:`TICKET_MINUTES`; otherwise 404."""
    row = db.session.get(AuditLog, audit_id)
    if (row is None or row.user_id != current_user.id or row.action != "EXPORT" or row.entity != "ledger"
            or now_utc() - row.at > timedelta(minutes=TICKET_MINUTES)):
        abort(404)
    detail = json.loads(row.detail)
    if detail.get("format") != fmt:
        abort(404)
    masked = detail.get("masked", True)
    if not masked and not can(current_user, "export.unmasked"):
        abort(403)
    args = MultiDict([(k, v) for k, values in detail.get("filters", {}).items() for v in values])
    today = local_today()
    title = f"{current_user.org_unit.name}矛盾纠纷排查化解工作台账（{today.year}年{today.month}月{today.day}日导出）"
    out, _count = export.export_file(ledger_select(current_user, args), fmt, masked, title)
    name = f"台账-{today.isoformat()}{'' if masked else '-未脱敏'}.{fmt}"
    response = send_file(out, mimetype=XLSX_MIME if fmt == "xlsx" else "text/csv; charset=utf-8",
                         as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def import_state_label(state: str) -> str:
    """The dry-run state of a row, for display."""
    return {"good": _("Will be imported"), "bad": _("Has errors"),
            "known": _("Already imported, skipped")}.get(state, state)

