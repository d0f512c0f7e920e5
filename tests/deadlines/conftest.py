"""Fixtures for the deadlines tests: a subject to hang clocks on, case facts, Shanghai instants."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from deadlines.clocks import CaseFacts

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """sh(2025, 1, 6, 10) -> 2025-01-06 10:00 Asia/Shanghai."""
    return datetime(*args, tzinfo=SH)


LV = CaseFacts(voltage="low", power_sources=None, applicant_type="small_micro", capacity_kva=Decimal("50"))
LV_EXTERNAL_ROAD = CaseFacts(
    voltage="low",
    power_sources=None,
    applicant_type="small_micro",
    capacity_kva=Decimal("80"),
    external_works=True,
    road_excavation=True,
    green_space=False,
)
HV_SINGLE = CaseFacts(
    voltage="high", power_sources=1, applicant_type="enterprise", capacity_kva=Decimal("800")
)
HV_DUAL = CaseFacts(
    voltage="high", power_sources=2, applicant_type="enterprise", capacity_kva=Decimal("5000")
)


@pytest.fixture
def subject(make_user):
    """Any saved model instance can carry clocks; the case apps pass their Application."""
    return make_user("case_subject", roles=["customer"])


@pytest.fixture
def another_subject(make_user):
    return make_user("case_subject2", roles=["customer"])


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The deadlines tests create many users; password hashing strength is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reference_data(transactional_db):
    """For transaction=True tests: an earlier transactional test may have flushed the rows the data
    migrations seed (organisations, roles, the calendar, the 2020 policy); put them back if so."""
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    # A flush recreates the content types with new ids; the cache would still hand out the old ones.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
