"""Import batches of the Excel ledger import (issue 6): one row per uploaded file.

The parsed rows of a dry run live in a JSON file under ``instance/imports/`` (named by the batch id),
not in the session cookie; this row holds who uploaded what, the counts, and how far the import got,
so an import interrupted between two chunks carries on where it stopped.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, UTCDateTime
from portal.models.user import User

#: Batch states: parsed (dry run shown), importing (chunks running), done.
PARSED, IMPORTING, DONE = "PARSED", "IMPORTING", "DONE"


class ImportBatch(TimestampMixin, Base):
    """An uploaded ledger file and its dry-run/import counters.

    ``cursor`` is the number of good rows already written; ``imported`` counts disputes created and
    ``skipped`` rows that were already in the database (same import key).
    """

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sheet: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default=PARSED)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    good_rows: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    known_rows: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
