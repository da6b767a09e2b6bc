"""Home page and the organisation overview (villages and grids in the user's scope)."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from portal.main import views  # noqa: E402,F401
