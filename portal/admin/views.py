"""Administration pages: the organisation tree, mediation committees and accounts (issue 2).

An admin sees and changes only their own subtree (:mod:`portal.scoping`); anything outside answers
404. Forms come back in place with status 422 on errors; each request commits once.
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from portal.admin import bp
from portal.admin.forms import CommitteeForm, EditUserForm, MediatorForm, ResetPasswordForm, UnitForm, UserForm
from portal.admin.services import (APPOINTMENT_TYPES, COMMITTEE_TYPES, LEVEL_LABELS, POSITIONS, ROLE_LABELS, SEXES,
                                   AdminError, add_child, committee_warnings, create_committee, create_user,
                                   delete_unit, move_unit, referenced_unit_ids, reset_password, resolve_scope,
                                   save_mediator, set_mediator_active, set_unit_active, set_user_active,
                                   tree_children, unit_path, unlock_user, update_committee, update_unit, update_user,
                                   username_taken)
from portal.auth.services import PasswordPolicyError, check_password_policy
from portal.extensions import db
from portal.htmx import add_vary, hx_redirect, is_htmx, is_partial
from portal.models.org import CHILD_LEVEL, GRID, TOWN, VILLAGE, MediationCommittee, Mediator, OrgUnit
from portal.models.user import User
from portal.permissions import require
from portal.scoping import get_org_unit_or_404, scoped_org_units, visible_org_ids
from portal.timeutil import now_utc


def _render(page: str, fragment: str, status: int = 200, **context):
    """The fragment for an htmx partial request, else the full page; ``Vary`` on htmx headers."""
    return add_vary(make_response(render_template(fragment if is_partial() else page, **context), status))


def _apply_error(form, error: AdminError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(error.message)]
    else:
        form.form_errors.append(str(error.message))


@bp.context_processor
def _labels() -> dict:
    return {"sexes": SEXES, "positions": POSITIONS, "appointments": APPOINTMENT_TYPES}


@bp.route("/")
@require("org.manage")
def index():
    """The administration start page is the organisation tree."""
    return redirect(url_for("admin.org"))


# ----------------------------------------------------------------------------------------------
# Organisation tree


def _tree_response(status: int = 200, error: str | None = None):
    """The tree of the admin's subtree: fragment ``#org-tree`` for htmx, else the page."""
    root = current_user.org_unit
    children = tree_children(root)
    ids = [unit.id for units in children.values() for unit in units]
    return _render("admin/org.html", "admin/_org_tree.html", status, root=root, children=children,
                   in_use=referenced_unit_ids(ids), level_labels=LEVEL_LABELS, child_level=CHILD_LEVEL,
                   tree_error=error)


def _done(message: str | None = None, error: str | None = None):
    """Answer a successful (or refused) tree change: the new tree for htmx, a redirect otherwise."""
    if is_htmx():
        return _tree_response(422 if error else 200, error)
    flash(error or message, "error" if error else "success")
    return redirect(url_for("admin.org"))


@bp.route("/org")
@require("org.manage")
def org():
    """The organisation tree (county → town → village/community → grid) with its actions."""
    return _tree_response()


def _unit_form_response(form, unit=None, parent=None, status=200):
    return _render("admin/unit_form_page.html", "admin/_unit_form.html", status, form=form, unit=unit,
                   parent=parent, level_labels=LEVEL_LABELS, child_level=CHILD_LEVEL, inline=is_partial())


@bp.route("/org/<int:parent_id>/new", methods=["GET", "POST"])
@require("org.manage")
def unit_new(parent_id: int):
    """Add a unit below ``parent_id`` (a town, village/community or grid)."""
    parent = get_org_unit_or_404(parent_id, current_user)
    if parent.level not in CHILD_LEVEL:
        abort(404)
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = add_child(parent, form.name.data, form.division_code.data)
        except AdminError as error:
            _apply_error(form, error)
        else:
            db.session.commit()
            return _done(_("%(name)s added.", name=unit.name))
    return _unit_form_response(form, parent=parent, status=422 if form.errors or form.form_errors else 200)


@bp.route("/org/<int:unit_id>/edit", methods=["GET", "POST"])
@require("org.manage")
def unit_edit(unit_id: int):
    """Rename a unit and set its 12-digit division code."""
    unit = get_org_unit_or_404(unit_id, current_user)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            update_unit(unit, form.name.data, form.division_code.data)
        except AdminError as error:
            _apply_error(form, error)
        else:
            db.session.commit()
            return _done(_("%(name)s saved.", name=unit.name))
    return _unit_form_response(form, unit=unit, status=422 if form.errors or form.form_errors else 200)


@bp.route("/org/<int:unit_id>/move/<any(up, down):direction>", methods=["POST"])
@require("org.manage")
def unit_move(unit_id: int, direction: str):
    """Move a unit up or down among its siblings (the admin's own root stays where it is)."""
    unit = get_org_unit_or_404(unit_id, current_user)
    if unit.id != current_user.org_unit_id:
        move_unit(unit, direction)
        db.session.commit()
    return _done()


@bp.route("/org/<int:unit_id>/active/<int:flag>", methods=["POST"])
@require("org.manage")
def unit_active(unit_id: int, flag: int):
    """Deactivate a unit with everything below it (flag 0) or reactivate it (flag 1)."""
    unit = get_org_unit_or_404(unit_id, current_user)
    if unit.id == current_user.org_unit_id:
        return _done(error=_("You cannot deactivate the top of your own area."))
    try:
        set_unit_active(unit, bool(flag))
    except AdminError as error:
        db.session.rollback()
        return _done(error=str(error.message))
    db.session.commit()
    return _done(_("%(name)s reactivated.", name=unit.name) if flag else _("%(name)s deactivated.", name=unit.name))


@bp.route("/org/<int:unit_id>/delete", methods=["POST"])
@require("org.manage")
def unit_delete(unit_id: int):
    """Delete a unit nothing refers to yet (a typo); anything in use is only deactivated."""
    unit = get_org_unit_or_404(unit_id, current_user)
    name = unit.name
    if unit.id == current_user.org_unit_id:
        return _done(error=_("You cannot deactivate the top of your own area."))
    try:
        delete_unit(unit)
    except AdminError as error:
        db.session.rollback()
        return _done(error=str(error.message))
    db.session.commit()
    return _done(_("%(name)s deleted.", name=name))


# ----------------------------------------------------------------------------------------------
# Mediation committees


def _committee_or_404(committee_id: int) -> MediationCommittee:
    committee = db.session.get(MediationCommittee, committee_id)
    if committee is None or committee.org_unit_id not in visible_org_ids(current_user):
        abort(404)
    return committee


@bp.route("/committees")
@require("org.manage")
def committees():
    """Every town and village in the admin's area with its committee and composition warnings."""
    units = db.session.scalars(scoped_org_units(current_user).where(OrgUnit.level.in_((TOWN, VILLAGE)))).all()
    by_unit = {c.org_unit_id: c for c in db.session.scalars(
        select(MediationCommittee).where(MediationCommittee.org_unit_id.in_([u.id for u in units])))}
    rows = [(unit, by_unit.get(unit.id)) for unit in sorted(units, key=lambda u: (u.level != TOWN, u.sort, u.id))]
    return render_template("admin/committees.html", rows=rows, warnings=committee_warnings,
                           types=COMMITTEE_TYPES)


def _committee_data(form: CommitteeForm) -> dict:
    return {"name": form.name.data, "case_prefix": form.case_prefix.data,
            "committee_type": form.committee_type.data, "term_start": form.term_start.data,
            "term_end": form.term_end.data}


@bp.route("/committees/new/<int:unit_id>", methods=["GET", "POST"])
@require("org.manage")
def committee_new(unit_id: int):
    """Set up the mediation committee of a town or village."""
    unit = get_org_unit_or_404(unit_id, current_user)
    form = CommitteeForm()
    if request.method == "GET":
        form.name.data = f"{unit.name}人民调解委员会"
        form.case_prefix.data = unit.name
        form.committee_type.data = ("TOWN" if unit.level == TOWN else
                                    "COMMUNITY" if unit.name.endswith("社区") else "VILLAGE")
    if form.validate_on_submit():
        try:
            committee = create_committee(unit, _committee_data(form))
        except AdminError as error:
            _apply_error(form, error)
        else:
            db.session.commit()
            target = url_for("admin.committee", committee_id=committee.id)
            return hx_redirect(target) if is_htmx() else redirect(target)
    return _render("admin/committee_new.html", "admin/_committee_form.html",
                   422 if form.errors or form.form_errors else 200, form=form, unit=unit, committee=None)


@bp.route("/committees/<int:committee_id>", methods=["GET", "POST"])
@require("org.manage")
def committee(committee_id: int):
    """One committee: its details (editable in place) and its mediators."""
    committee = _committee_or_404(committee_id)
    form = CommitteeForm(obj=committee)
    saved = False
    if form.validate_on_submit():
        update_committee(committee, _committee_data(form))
        db.session.commit()
        saved = True
    status = 422 if form.errors else 200
    return _render("admin/committee.html", "admin/_committee_form.html", status, form=form, committee=committee,
                   unit=committee.org_unit, saved=saved, mediator_form=MediatorForm(formdata=None),
                   warnings=committee_warnings(committee))


def _mediator_data(form: MediatorForm) -> dict:
    return {"name": form.name.data, "sex": form.sex.data, "position": form.position.data,
            "appointment_type": form.appointment_type.data, "phone": form.phone.data or None}


def _mediators_response(committee: MediationCommittee, form: MediatorForm, status: int = 200):
    return _render("admin/committee.html", "admin/_mediators.html", status, committee=committee,
                   unit=committee.org_unit, mediator_form=form, warnings=committee_warnings(committee),
                   form=CommitteeForm(obj=committee, formdata=None), saved=False)


@bp.route("/committees/<int:committee_id>/mediators", methods=["POST"])
@require("org.manage")
def mediator_new(committee_id: int):
    """Add a mediator; answers the mediator list with the committee's warnings (人民调解法 第八条)."""
    committee = _committee_or_404(committee_id)
    form = MediatorForm()
    if form.validate_on_submit():
        save_mediator(committee, _mediator_data(form))
        db.session.commit()
        if not is_htmx():
            return redirect(url_for("admin.committee", committee_id=committee.id))
        return _mediators_response(committee, MediatorForm(formdata=None))
    return _mediators_response(committee, form, 422)


def _mediator_or_404(mediator_id: int) -> Mediator:
    mediator = db.session.get(Mediator, mediator_id)
    if mediator is None:
        abort(404)
    _committee_or_404(mediator.committee_id)
    return mediator


@bp.route("/mediators/<int:mediator_id>", methods=["GET", "POST"])
@require("org.manage")
def mediator_edit(mediator_id: int):
    """Change a mediator's details."""
    mediator = _mediator_or_404(mediator_id)
    form = MediatorForm(obj=mediator)
    if form.validate_on_submit():
        save_mediator(mediator.committee, _mediator_data(form), mediator)
        db.session.commit()
        flash(_("%(name)s saved.", name=mediator.name), "success")
        return redirect(url_for("admin.committee", committee_id=mediator.committee_id))
    return render_template("admin/mediator.html", form=form, mediator=mediator), 422 if form.errors else 200


@bp.route("/mediators/<int:mediator_id>/active/<int:flag>", methods=["POST"])
@require("org.manage")
def mediator_active(mediator_id: int, flag: int):
    """Take a mediator off the committee (flag 0) or back on (flag 1); never deleted."""
    mediator = _mediator_or_404(mediator_id)
    set_mediator_active(mediator, bool(flag))
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("admin.committee", committee_id=mediator.committee_id))
    return _mediators_response(mediator.committee, MediatorForm(formdata=None))


# ----------------------------------------------------------------------------------------------
# Accounts


def _unit_choices() -> list[SelectChoice]:
    root = current_user.org_unit
    units = db.session.scalars(scoped_org_units(current_user).where(OrgUnit.level != GRID,
                                                                      OrgUnit.active.is_(True))).all()
    units.sort(key=lambda u: unit_path(u, root))
    return [SelectChoice("", "—")] + [SelectChoice(u.id, f"{unit_path(u, root)}（{LEVEL_LABELS[u.level]}）")
                                      for u in units]


def _grid_choices() -> list[SelectChoice]:
    grids = db.session.scalars(scoped_org_units(current_user, GRID).where(OrgUnit.active.is_(True))).all()
    grids.sort(key=lambda g: (g.parent.sort, g.parent_id, g.sort, g.id))
    return [SelectChoice(g.id, f"{g.parent.name} · {g.name.removeprefix(g.parent.name)}") for g in grids]


def _fill_choices(form) -> None:
    form.org_unit_id.choices = _unit_choices()
    form.grids.choices = _grid_choices()


def _selected(form) -> tuple[OrgUnit | None, list[OrgUnit]]:
    """The scope unit and grids chosen in ``form``, each checked to lie in the admin's area (else 404)."""
    unit = get_org_unit_or_404(form.org_unit_id.data, current_user) if form.org_unit_id.data else None
    grids = [get_org_unit_or_404(grid_id, current_user) for grid_id in form.grids.data or []]
    if any(grid.level != GRID for grid in grids):
        abort(404)
    return unit, grids


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.org_unit_id not in visible_org_ids(current_user):
        abort(404)
    return user


@bp.route("/users")
@require("user.manage")
def users():
    """The accounts in the admin's area, filtered by text and role."""
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = select(User).where(User.org_unit_id.in_(visible_org_ids(current_user)))
    if q:
        from portal.dialect import like_pattern
        pattern = like_pattern(q.lower())
        stmt = stmt.where(or_(func.lower(User.username).like(pattern, escape="\\"),
                              func.lower(User.display_name).like(pattern, escape="\\")))
    if role in ROLE_LABELS:
        stmt = stmt.where(User.role == role)
    rows = db.session.scalars(stmt.order_by(User.active.desc(), User.role, User.username)).all()
    return _render("admin/users.html", "admin/_user_list.html", users=rows, q=q, role=role, roles=ROLE_LABELS,
                   root=current_user.org_unit, unit_path=unit_path, now=now_utc())


@bp.route("/users/new", methods=["GET", "POST"])
@require("user.manage")
def user_new():
    """Create an account; the user must change the initial password at first login."""
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        unit, grids = _selected(form)
        try:  # report the password and the scope problems together
            check_password_policy(form.password.data, form.username.data)
        except PasswordPolicyError as error:
            form.password.errors.append(str(error))
        if username_taken(form.username.data):
            form.username.errors.append(_("This user name is taken."))
        try:
            resolve_scope(form.role.data, unit, grids)
        except AdminError as error:
            _apply_error(form, error)
        try:
            user = None if form.errors else create_user(
                username=form.username.data, display_name=form.display_name.data, role=form.role.data, unit=unit,
                grids=grids, phone=form.phone.data, password=form.password.data)
        except AdminError as error:
            _apply_error(form, error)
        if user is not None:
            db.session.commit()
            flash(_("Account %(name)s created. Give the initial password to the user in person.",
                    name=user.username), "success")
            target = url_for("admin.user_edit", user_id=user.id)
            return hx_redirect(target) if is_htmx() else redirect(target)
    return _render("admin/user_new.html", "admin/_user_form.html", 422 if form.errors or form.form_errors else 200,
                   form=form, edited=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("user.manage")
def user_edit(user_id: int):
    """An account: name, phone, role and area (in place), plus password reset, unlock, deactivation."""
    edited = _user_or_404(user_id)
    form = EditUserForm(obj=edited)
    _fill_choices(form)
    if request.method == "GET":
        form.grids.data = [g.id for g in edited.grids]
        if edited.role == "GRID_WORKER":
            form.org_unit_id.data = None
    saved = False
    if form.validate_on_submit():
        unit, grids = _selected(form)
        try:
            update_user(edited, display_name=form.display_name.data, role=form.role.data, unit=unit, grids=grids,
                        phone=form.phone.data, acting=current_user._get_current_object())
        except AdminError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            saved = True
    return _render("admin/user.html", "admin/_user_form.html", 422 if form.errors or form.form_errors else 200,
                   form=form, edited=edited, saved=saved, password_form=ResetPasswordForm(formdata=None),
                   now=now_utc())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require("user.manage")
def user_password(user_id: int):
    """Reset a password to a temporary one the user must change at the next login."""
    edited = _user_or_404(user_id)
    form = ResetPasswordForm()
    done = False
    if form.validate_on_submit():
        try:
            reset_password(edited, form.password.data)
        except PasswordPolicyError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            done = True
            form = ResetPasswordForm(formdata=None)
    status = 422 if form.errors else 200
    if is_partial():
        return add_vary(make_response(render_template("admin/_password_form.html", password_form=form,
                                                       edited=edited, done=done), status))
    if done:
        flash(_("The password was reset. The user must change it at the next login."), "success")
        return redirect(url_for("admin.user_edit", user_id=edited.id))
    edit_form = EditUserForm(obj=edited, formdata=None)
    _fill_choices(edit_form)
    return render_template("admin/user.html", form=edit_form, edited=edited, password_form=form, saved=False,
                           now=now_utc()), status


@bp.route("/users/<int:user_id>/active/<int:flag>", methods=["POST"])
@require("user.manage")
def user_active(user_id: int, flag: int):
    """Deactivate (flag 0: sessions end, no login) or reactivate (flag 1) an account; never deleted."""
    edited = _user_or_404(user_id)
    try:
        set_user_active(edited, bool(flag), current_user._get_current_object())
    except AdminError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Account reactivated.") if flag else _("Account deactivated."), "success")
    target = url_for("admin.user_edit", user_id=edited.id)
    return hx_redirect(target) if is_htmx() else redirect(target)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@require("user.manage")
def user_unlock(user_id: int):
    """Lift a login lockout."""
    edited = _user_or_404(user_id)
    unlock_user(edited)
    db.session.commit()
    flash(_("The account is unlocked."), "success")
    target = url_for("admin.user_edit", user_id=edited.id)
    return hx_redirect(target) if is_htmx() else redirect(target)

