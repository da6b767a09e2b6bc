"""Views of the disputes feature."""
from portal.disputes import bp  # noqa: F401
