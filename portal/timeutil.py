"""Time zone rules: store UTC, show and count in Asia/Shanghai (zoneinfo).

A dispute registered at 07:30 on 1 March Beijing time belongs to March, although it is still
February in UTC; all period boundaries are therefore computed here, in Asia/Shanghai.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def local_now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def local_today() -> date:
    """Today's date in Asia/Shanghai (the date a clerk sees on the wall calendar)."""
    return local_now().date()


def to_local(moment: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai. Raises ValueError on naive input."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI)


def local_date_of(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    return to_local(moment).date()


def local_midnight_utc(day: date) -> datetime:
    """00:00 Asia/Shanghai on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(timezone.utc)


def month_range(year: int, month: int) -> tuple[date, date]:
    """First and last calendar day of a month (inclusive dates)."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def month_bounds_utc(year: int, month: int) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of a Shanghai calendar month, as aware UTC datetimes."""
    first, last = month_range(year, month)
    return local_midnight_utc(first), local_midnight_utc(last + timedelta(days=1))


def parse_local_datetime(value: str) -> datetime:
    """Parse an HTML ``datetime-local`` value (``YYYY-MM-DDTHH:MM``) entered in Shanghai time → UTC."""
    naive = datetime.fromisoformat(value)
    return naive.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
