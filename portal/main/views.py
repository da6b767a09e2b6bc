"""Home and village pages."""
from flask import abort, render_template
from flask_login import current_user, login_required

from portal.extensions import db
from portal.main import bp
from portal.models.org import GRID, VILLAGE, OrgUnit
from portal.scoping import get_org_unit_or_404, scoped_org_units


@bp.route("/")
@login_required
def index():
    """The dashboard, first page after login: my work, red-risk cases, missing screening returns,
    charts (portal.reports.dashboard), and the villages of the user's area."""
    from portal.reports import dashboard

    villages = db.session.scalars(scoped_org_units(current_user, VILLAGE).where(OrgUnit.active.is_(True))).all()
    return render_template("main/index.html", villages=villages, d=dashboard.build(current_user))


@bp.route("/villages")
@login_required
def villages():
    """The villages (村/社区) in the user's scope, with their grids."""
    villages = db.session.scalars(scoped_org_units(current_user, VILLAGE)).all()
    return render_template("main/villages.html", villages=villages)


@bp.route("/villages/<int:village_id>")
@login_required
def village(village_id: int):
    """One village and its grids; 404 outside the user's scope."""
    unit = get_org_unit_or_404(village_id, current_user)
    if unit.level != VILLAGE:
        abort(404)
    grids = db.session.scalars(scoped_org_units(current_user, GRID).where(OrgUnit.parent_id == unit.id)).all()
    return render_template("main/village.html", village=unit, grids=grids)
