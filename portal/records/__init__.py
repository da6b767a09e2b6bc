"""Mediation records and printed documents: sessions, agreements, follow-ups, dossier."""
from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/records")

from portal.records import views  # noqa: E402,F401
