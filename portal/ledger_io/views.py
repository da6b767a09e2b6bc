"""Views of the ledger_io feature."""
from portal.ledger_io import bp  # noqa: F401
