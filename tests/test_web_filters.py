"""Template filters: times are stored in UTC and shown in Asia/Shanghai."""
from datetime import datetime, timezone

from portal.web import cn_date, local_dt


def test_local_dt_shows_shanghai_time():
    at = datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 October in Shanghai
    assert local_dt(at) == "2026-10-01 00:30"
    assert local_dt(at, "%H:%M") == "00:30"
    assert local_dt(None) == ""
    assert cn_date(at) == "2026年10月1日"
