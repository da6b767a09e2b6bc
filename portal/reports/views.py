"""Views of the reports feature."""
from portal.reports import bp  # noqa: F401
