"""Monthly reports, campaigns, screening returns and the dashboard."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from portal.reports import summary, views  # noqa: E402,F401  (summary: keeps the monthly summary exact)
