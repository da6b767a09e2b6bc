"""Mediation records and printed documents: sessions, agreements, follow-ups, dossier."""
from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/records")

from portal.records import views  # noqa: E402,F401
from portal.disputes.workflow import ARCHIVE_CHECKS  # noqa: E402
from portal.records.services import dossier_problems  # noqa: E402

# domain.md 8.4: a case is archived only with every required dossier item (section 6 table).
if dossier_problems not in ARCHIVE_CHECKS:
    ARCHIVE_CHECKS.append(dossier_problems)
