"""Views of the reports feature: the report page (preview, narrative, submit, sign, re-open), PDF and
Excel downloads, screening returns (排查情况/零报告) and campaigns (专项行动)."""
from __future__ import annotations

import hashlib
from datetime import date
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.audit import audit
from portal.extensions import db
from portal.models.dispute import Campaign
from portal.models.org import COUNTY, TOWN, VILLAGE, OrgUnit
from portal.models.reports import REPORT_DRAFT, REPORT_SIGNED, REPORT_SUBMITTED, ReportVersion
from portal.permissions import can, require
from portal.reports import bp, charts, services
from portal.reports.forms import CampaignForm, NarrativeForm, ReopenForm, ReturnForm
from portal.scoping import get_org_unit_or_404, scoped_org_units, visible_org_ids
from portal.timeutil import local_today, now_utc


# ---------------------------------------------------------------------------------------------- helpers

def figure_href(spec: str | None) -> str | None:
    """Ledger URL for a figure spec (``disputes.ledger?figure=…``); None for figures without a link."""
    if not spec:
        return None
    if "disputes.ledger" in current_app.view_functions:
        return url_for("disputes.ledger", figure=spec)
    return "/disputes/?" + urlencode({"figure": spec})


def case_href(dispute_id: int) -> str:
    """URL of a dispute's case page (the disputes feature's endpoint), or its ledger row."""
    for endpoint in ("disputes.case", "disputes.detail", "disputes.show", "disputes.view"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, dispute_id=dispute_id)
    return "/disputes/?" + urlencode({"ids": dispute_id})


@bp.app_context_processor
def _helpers():
    return {"figure_href": figure_href, "svg_uri": charts.data_uri, "case_href": case_href}


def _resolve(scope_token: str, period_key: str) -> tuple[services.Scope, services.Period]:
    """Scope and period from the URL; campaigns use their own dates. 404 on anything unknown."""
    scope = services.parse_scope(scope_token, current_user)
    if scope.campaign is not None:
        return scope, services.range_period(scope.campaign.start_date, scope.campaign.end_date)
    try:
        return scope, services.parse_period(period_key)
    except ValueError:
        abort(404)


def _require_here(capability: str) -> None:
    """403 unless the user has ``capability``; called after :func:`_resolve`, so a unit outside the
    user's area answers 404 before any capability check (style: out of scope is 404)."""
    if not can(current_user, capability):
        abort(403)


def _version_key(scope: services.Scope, period: services.Period) -> str:
    return scope.token if scope.campaign is not None else period.key


def _versions(scope: services.Scope, period: services.Period) -> list[ReportVersion]:
    return list(db.session.scalars(select(ReportVersion).where(
        ReportVersion.unit_id == scope.unit.id, ReportVersion.period_key == _version_key(scope, period))
        .order_by(ReportVersion.version)))


def _pick_version(versions: list[ReportVersion]) -> ReportVersion | None:
    wanted = request.args.get("v", type=int)
    if wanted is None:
        return versions[-1] if versions else None
    for version in versions:
        if version.version == wanted:
            return version
    abort(404)


def _report_url(scope, period, **kw) -> str:
    return url_for("reports.report", scope_token=scope.token, period_key=period.key, **kw)


def _period_choices(today: date) -> list[tuple[str, str]]:
    """The last 13 months, the last 4 quarters and the last 2 years."""
    out, year, month = [], today.year, today.month
    for _i in range(13):
        p = services.month_period(year, month)
        out.append((p.key, p.label))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    q = (today.month - 1) // 3 + 1
    year = today.year
    for _i in range(4):
        p = services.parse_period(f"{year}-Q{q}")
        out.append((p.key, p.label))
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    out += [(str(today.year), f"{today.year}年"), (str(today.year - 1), f"{today.year - 1}年")]
    return out


def _scope_choices() -> list[tuple[str, str]]:
    """Units the user can report on: own root, then the units one level down."""
    root = services.default_scope(current_user).unit
    out = [(services.Scope(root).token, root.name)]
    if root.level in (COUNTY, TOWN):
        child = TOWN if root.level == COUNTY else VILLAGE
        for unit in db.session.scalars(scoped_org_units(current_user, child).where(OrgUnit.parent_id == root.id)):
            out.append((services.Scope(unit).token, unit.name))
    return out


def _category_chart(figures: dict) -> str:
    rows = [r for r in figures["table2"][:-1] if r["count"]]
    return charts.bar_chart([r["label"] for r in rows], [r["count"] for r in rows],
                            f"{figures['period_label']}受理调解纠纷分类", "category")


def render_report_pdf(figures: dict, version: ReportVersion | None, *, draft: bool) -> bytes:
    """Render the report PDF (landscape A4 tables, narrative, one chart) from a figures dict."""
    from portal.pdf import render_pdf

    filled = version.submitted_at if version is not None and version.submitted_at else None
    html = render_template("reports/pdf.html", f=figures, version=version, draft=draft,
                           chart=charts.data_uri(_category_chart(figures)),
                           fill_date=services_cn_date(filled.date() if filled else local_today()),
                           columns=TABLE1_HEADER,
                           narrative=(version.narrative if version is not None and version.narrative else
                                      services.default_narrative(figures)))
    return render_pdf(html)


def services_cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


#: Header of table 1: (label, sub-labels or None). Cells follow services.TABLE1_COLUMNS.
TABLE1_HEADER = [
    ("排查次数(次)", None), ("排查发现纠纷数", None), ("预防纠纷数", None), ("调解纠纷数", None),
    ("其中", ["主动调解", "申请调解", "委托移送调解"]), ("调解成功数", None), ("调解成功率(%)", None),
    ("书面协议数", None), ("口头协议数", None), ("协议涉及金额(万元)", None), ("履行数", None), ("司法确认数", None),
    ("防止民转刑", ["件", "人"]), ("防止群体性上访", ["件", "人"]), ("防止群体性械斗", ["件", "人"]),
    ("防止因纠纷引起自杀", ["件", "人"]), ("上报/移交数", None), ("在办数", None), ("超期未结数", None),
]
TABLE2_HEADER = ["本期件数", "占比(%)", "调解成功数", "成功率(%)", "上期件数", "环比(%)", "去年同期件数", "同比(%)",
                 "累计件数"]
MAJOR_HEADER = ["序号", "编号", "所在村", "纠纷类型", "当事人", "简要情况", "风险等级", "包案领导", "责任单位",
                "化解措施", "时限", "进展/结果", "备注"]


# ---------------------------------------------------------------------------------------------- pages

@bp.route("/")
@require("report.view")
def index():
    """Pick a unit and a period; list report versions and campaigns of the user's area."""
    today = local_today()
    scope_token = request.args.get("scope")
    period_key = request.args.get("period")
    if scope_token and period_key:
        scope, period = _resolve(scope_token, period_key)
        return redirect(_report_url(scope, period))
    recent = db.session.scalars(select(ReportVersion).where(ReportVersion.unit_id.in_(visible_org_ids(current_user)))
                                .order_by(ReportVersion.updated_at.desc()).limit(20)).all()
    last = services.month_period(today.year, today.month)
    last = services.previous_period(last)
    return render_template("reports/index.html", scopes=_scope_choices(), periods=_period_choices(today),
                           default_period=last.key, recent=recent, campaigns=_campaigns())


def _campaigns() -> list[Campaign]:
    visible = visible_org_ids(current_user)
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc())).all()
    return [c for c in campaigns if c.town_id in visible or any(v.id in visible for v in c.villages)]


@bp.route("/<scope_token>/<period_key>")
@require("report.view")
def report(scope_token: str, period_key: str):
    """The report page: live preview (draft) or frozen figures (submitted), narrative, workflow."""
    scope, period = _resolve(scope_token, period_key)
    versions = _versions(scope, period)
    version = _pick_version(versions)
    if version is not None and version.frozen:
        figures = version.figures
    else:
        figures = services.build_figures(scope, period, current_user)
    form = NarrativeForm(data={
        "narrative": version.narrative if version is not None and version.narrative else
        services.default_narrative(figures),
        "preparer_name": version.preparer_name if version else current_user.display_name,
        "preparer_phone": version.preparer_phone if version else current_user.phone})
    return _render_report(scope, period, versions, version, figures, form, ReopenForm())


def _render_report(scope, period, versions, version, figures, form, reopen_form, status=200):
    latest = versions[-1] if versions else None
    return render_template(
        "reports/report.html", scope=scope, period=period, versions=versions, version=version, latest=latest,
        f=figures, form=form, reopen_form=reopen_form, columns=TABLE1_HEADER, t2_header=TABLE2_HEADER,
        major_header=MAJOR_HEADER, fengqiao=services.FENGQIAO, chart=_category_chart(figures),
        editable=can(current_user, "report.prepare"), is_latest=version is latest), status


def _latest_draft(scope, period, versions) -> ReportVersion:
    """The latest version if it is a draft, else a new version 1 (only when there is none). 409 otherwise."""
    latest = versions[-1] if versions else None
    if latest is None:
        latest = ReportVersion(unit_id=scope.unit.id, period_key=_version_key(scope, period),
                               start_date=period.start, end_date=period.end, version=1, status=REPORT_DRAFT,
                               campaign_id=scope.campaign.id if scope.campaign else None,
                               created_by_id=current_user.id, narrative="")
        db.session.add(latest)
        versions.append(latest)
    elif latest.frozen:
        abort(409)
    return latest


@bp.route("/<scope_token>/<period_key>/save", methods=["POST"])
@login_required
def save(scope_token: str, period_key: str):
    """Save the narrative and preparer of the draft (creates version 1 on first save)."""
    scope, period = _resolve(scope_token, period_key)
    _require_here("report.prepare")
    versions = _versions(scope, period)
    form = NarrativeForm()
    if not form.validate_on_submit():
        figures = services.build_figures(scope, period, current_user)
        return _render_report(scope, period, versions, versions[-1] if versions else None, figures, form,
                              ReopenForm(), 422)
    draft = _latest_draft(scope, period, versions)
    draft.narrative = form.narrative.data or ""
    draft.preparer_name, draft.preparer_phone = form.preparer_name.data or None, form.preparer_phone.data or None
    db.session.commit()
    flash(_("Draft saved."), "success")
    return redirect(_report_url(scope, period))


@bp.route("/<scope_token>/<period_key>/submit", methods=["POST"])
@login_required
def submit(scope_token: str, period_key: str):
    """Freeze the draft: figures JSON and PDF bytes (with sha256) are stored and never change again."""
    scope, period = _resolve(scope_token, period_key)
    _require_here("report.prepare")
    versions = _versions(scope, period)
    form = NarrativeForm()
    figures = services.build_figures(scope, period, current_user)
    if not form.validate_on_submit():
        return _render_report(scope, period, versions, versions[-1] if versions else None, figures, form,
                              ReopenForm(), 422)
    draft = _latest_draft(scope, period, versions)
    draft.narrative = form.narrative.data or services.default_narrative(figures)
    draft.preparer_name, draft.preparer_phone = form.preparer_name.data or None, form.preparer_phone.data or None
    draft.status, draft.submitted_at, draft.submitted_by_id = REPORT_SUBMITTED, now_utc(), current_user.id
    figures["narrative"] = draft.narrative
    draft.figures = figures
    draft.pdf = render_report_pdf(figures, draft, draft=False)
    draft.pdf_sha256 = hashlib.sha256(draft.pdf).hexdigest()
    db.session.flush()
    audit("REPORT_SUBMIT", entity="report_version", entity_id=draft.id,
          detail={"period": draft.period_key, "version": draft.version, "sha256": draft.pdf_sha256})
    db.session.commit()
    flash(_("Report submitted. Its figures and PDF are now frozen."), "success")
    return redirect(_report_url(scope, period))


@bp.route("/<scope_token>/<period_key>/sign", methods=["POST"])
@login_required
def sign(scope_token: str, period_key: str):
    """A leader signs off the latest submitted version (the stored PDF is unchanged)."""
    scope, period = _resolve(scope_token, period_key)
    _require_here("report.sign")
    versions = _versions(scope, period)
    latest = versions[-1] if versions else None
    if latest is None or latest.status != REPORT_SUBMITTED:
        abort(409)
    latest.status, latest.signed_at, latest.signed_by_id = REPORT_SIGNED, now_utc(), current_user.id
    audit("REPORT_SIGN", entity="report_version", entity_id=latest.id, detail={"version": latest.version})
    db.session.commit()
    flash(_("Report signed off."), "success")
    return redirect(_report_url(scope, period))


@bp.route("/<scope_token>/<period_key>/reopen", methods=["POST"])
@login_required
def reopen(scope_token: str, period_key: str):
    """Re-open a frozen report: a new draft version with the reason; the old version stays readable."""
    scope, period = _resolve(scope_token, period_key)
    _require_here("report.prepare")
    versions = _versions(scope, period)
    latest = versions[-1] if versions else None
    if latest is None or not latest.frozen:
        abort(409)
    form = ReopenForm()
    if not form.validate_on_submit():
        form_n = NarrativeForm(data={"narrative": latest.narrative})
        return _render_report(scope, period, versions, latest, latest.figures, form_n, form, 422)
    new = ReportVersion(unit_id=latest.unit_id, period_key=latest.period_key, start_date=latest.start_date,
                        end_date=latest.end_date, campaign_id=latest.campaign_id, version=latest.version + 1,
                        status=REPORT_DRAFT, narrative=latest.narrative, preparer_name=latest.preparer_name,
                        preparer_phone=latest.preparer_phone, reopen_reason=form.reason.data.strip(),
                        created_by_id=current_user.id)
    db.session.add(new)
    db.session.flush()
    latest.superseded_by_id = new.id
    audit("REPORT_REOPEN", entity="report_version", entity_id=new.id, detail={"reason": new.reopen_reason})
    db.session.commit()
    flash(_("A new draft version was created."), "success")
    return redirect(_report_url(scope, period))


@bp.route("/<scope_token>/<period_key>/report.pdf")
@require("report.view")
def pdf(scope_token: str, period_key: str):
    """The PDF: stored bytes for a frozen version, a live draft (watermarked 草稿) otherwise."""
    scope, period = _resolve(scope_token, period_key)
    version = _pick_version(_versions(scope, period))
    if version is not None and version.frozen:
        data = version.pdf
    else:
        data = render_report_pdf(services.build_figures(scope, period, current_user), version, draft=True)
    suffix = f"-v{version.version}" if version is not None else ""
    import io
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"report-{period_key}{suffix}.pdf",
                     as_attachment=False)


@bp.route("/<scope_token>/<period_key>/report.xlsx")
@require("report.view")
def xlsx(scope_token: str, period_key: str):
    """The same tables as an Excel workbook in the official layout (frozen figures when submitted)."""
    from portal.reports.excel import workbook_bytes

    scope, period = _resolve(scope_token, period_key)
    version = _pick_version(_versions(scope, period))
    figures = version.figures if version is not None and version.frozen else \
        services.build_figures(scope, period, current_user)
    import io
    suffix = f"-v{version.version}" if version is not None else ""
    return send_file(io.BytesIO(workbook_bytes(figures, version)), as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     download_name=f"report-{period_key}{suffix}.xlsx")


# ---------------------------------------------------------------------------------------------- returns

def _return_target():
    """(scope, period, campaign) of the returns page from ``?period=`` or ``?campaign=``."""
    campaign_id = request.values.get("campaign", type=int)
    if campaign_id:
        scope = services.parse_scope(f"C{campaign_id}", current_user)
        return scope, services.range_period(scope.campaign.start_date, scope.campaign.end_date), scope.campaign
    today = local_today()
    key = request.values.get("period") or f"{today.year}-{today.month:02d}"
    try:
        period = services.parse_period(key)
    except ValueError:
        abort(404)
    if period.kind != services.MONTH:
        abort(404)
    return services.default_scope(current_user), period, None


@bp.route("/returns", methods=["GET", "POST"])
@require("report.view")
def returns():
    """Screening returns of a month or campaign: who filed, who filed a zero report, who has not filed."""
    scope, period, campaign = _return_target()
    form, status, form_village = ReturnForm(), 200, None
    if request.method == "POST":
        if not can(current_user, "screening.file"):
            abort(403)
        form_village = get_org_unit_or_404(request.form.get("village", type=int) or 0, current_user)
        if form_village.level != VILLAGE or (campaign and form_village not in campaign.villages):
            abort(404)
        if form.validate_on_submit():
            try:
                services.file_return(user=current_user, village=form_village, period=period, campaign=campaign,
                                     rounds=form.rounds.data, zero_report=form.zero_report.data,
                                     note=form.note.data)
            except ValueError as exc:
                form.zero_report.errors = [str(exc)]
            else:
                db.session.commit()
                flash(_("Screening return filed for %(village)s.", village=form_village.name), "success")
                args = {"campaign": campaign.id} if campaign else {"period": period.key}
                return redirect(url_for("reports.returns", **args))
        status = 422
    rows = services.return_status(scope, period, current_user)
    return render_template("reports/returns.html", rows=rows, period=period, campaign=campaign, form=form,
                           form_village=form_village, scope=scope), status


# ---------------------------------------------------------------------------------------------- campaigns

@bp.route("/campaigns", methods=["GET", "POST"])
@require("report.view")
def campaigns():
    """Campaigns (专项行动) of the area; town staff create new ones."""
    town = current_user.org_unit.ancestor(TOWN)
    form = CampaignForm()
    villages = db.session.scalars(scoped_org_units(current_user, VILLAGE).where(OrgUnit.active.is_(True))).all()
    form.villages.choices = [(v.id, v.name) for v in villages]
    status = 200
    if request.method == "POST":
        if not can(current_user, "campaign.manage") or town is None:
            abort(403)
        if form.validate_on_submit():
            chosen = [v for v in villages if v.id in form.villages.data]
            campaign = Campaign(town_id=town.id, name=form.name.data.strip(), start_date=form.start_date.data,
                                end_date=form.end_date.data, created_by_id=current_user.id, villages=chosen)
            db.session.add(campaign)
            db.session.flush()
            audit("CAMPAIGN_CREATE", entity="campaign", entity_id=campaign.id, detail=campaign.name)
            db.session.commit()
            flash(_("Campaign created."), "success")
            return redirect(url_for("reports.returns", campaign=campaign.id))
        status = 422
    return render_template("reports/campaigns.html", campaigns=_campaigns(), form=form), status
