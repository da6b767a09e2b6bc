"""Disputes: intake (排查登记), the ledger (台账), the case page and the workflow."""
from flask import Blueprint

bp = Blueprint("disputes", __name__, url_prefix="/disputes")

from portal.disputes import views  # noqa: E402,F401
from portal.disputes import case_views  # noqa: E402,F401
from portal.disputes import party_views  # noqa: E402,F401
