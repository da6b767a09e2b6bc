"""All models, imported here so Alembic and the app see the whole metadata."""
from portal.models.base import Base  # noqa: F401
from portal.models.org import OrgUnit, MediationCommittee, Mediator  # noqa: F401
from portal.models.user import User, AuditLog  # noqa: F401
from portal.models.dispute import (Dispute, Party, DisputeEvent, DictEntry, Transfer, Campaign,  # noqa: F401
                                   ScreeningReturn, NumberCounter)
from portal.models.records import (RightsNotice, Investigation, MediationSession, Agreement,  # noqa: F401
                                   OralAgreement, FollowUp, JudicialConfirmation, Attachment, PrintLog)
from portal.models.reports import ReportVersion, StatsMonth  # noqa: F401,E402
from portal.models.ledger_io import ImportBatch  # noqa: F401,E402
