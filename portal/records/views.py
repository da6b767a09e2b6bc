"""Views of the records feature."""
from portal.records import bp  # noqa: F401
