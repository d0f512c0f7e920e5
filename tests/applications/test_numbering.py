"""Case numbers: HHHT-<year>-<6 digits>, unique and sequential per year, even under concurrent submissions."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from applications.services import _next_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_numbers_run_per_year_in_local_time():
    assert _next_number(datetime(2026, 3, 1, 9, tzinfo=SHANGHAI)) == "HHHT-2026-000001"
    assert _next_number(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)) == "HHHT-2026-000002"
    # 2026-12-31 20:00 UTC is already 2027 in Hohhot.
    assert _next_number(datetime(2026, 12, 31, 20, tzinfo=ZoneInfo("UTC"))) == "HHHT-2027-000001"
    assert _next_number(datetime(2026, 12, 31, 9, tzinfo=SHANGHAI)) == "HHHT-2026-000003"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_submissions_get_distinct_consecutive_numbers():
    workers = 12
    barrier = threading.Barrier(workers)
    numbers, errors = [], []
    at = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)

    def take():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                numbers.append(_next_number(at))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == [f"HHHT-2026-{n:06d}" for n in range(1, workers + 1)]
