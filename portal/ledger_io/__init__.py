"""Excel ledger import and export."""
from flask import Blueprint

bp = Blueprint("ledger_io", __name__, url_prefix="/ledger-io")

from portal.ledger_io import views  # noqa: E402,F401
