"""Views of the admin feature."""
from portal.admin import bp  # noqa: F401
