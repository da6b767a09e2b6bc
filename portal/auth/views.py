"""Login, logout, password change and language preference."""
import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from portal.audit import audit
from portal.auth import bp
from portal.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm
from portal.auth.services import LoginError, PasswordPolicyError, authenticate, safe_next, set_password
from portal.extensions import db


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go to ``next`` (same-site paths only) or home."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form.next.data = request.args.get("next", "")
    expired = session.pop("_expired", False)
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginError as error:
            db.session.commit()  # keep the failure count and audit rows
            form.password.errors.append(str(error))
            return render_template("auth/login.html", form=form), 422
        session.clear()
        login_user(user, remember=False)
        session.permanent = True
        session["_seen"] = time.time()  # idle clock starts now (portal/security.py)
        db.session.commit()
        if user.must_change_password and not user.is_demo:
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(form.next.data) or url_for("main.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, expired=expired), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (POST only, so a link or image cannot log a user out)."""
    if current_user.is_authenticated:
        audit("LOGOUT", entity="user", entity_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let users change their own password (forced at first login for admin-created accounts)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()  # a proxy handed to login_user recurses
            try:
                set_password(user, form.new_password.data)
            except PasswordPolicyError as error:
                form.new_password.errors.append(str(error))
            else:
                audit("PASSWORD_CHANGED", entity="user", entity_id=user.id, user=user)
                db.session.commit()
                login_user(user, remember=False)  # new session version: other sessions end
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("main.index"))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose the interface language (Chinese by default, English available)."""
    form = PreferencesForm(locale=current_user.locale)
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session.commit()
        return redirect(url_for("main.index"))
    return render_template("auth/preferences.html", form=form)
