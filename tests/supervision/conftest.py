"""A small fixed data set for the supervision figures, with every expectation computed by hand.

Calendar around it (2026): 20 Sep (Sun) is a make-up working day, 25 Sep (Fri, Mid-autumn) and 1-7 Oct
(National Day) are off, 10 Oct (Sat) is a make-up working day. "Now" is Thu 22 Oct 2026 10:00.

A  LV, no external works, zero investment; submitted Tue 1 Sep, connected Mon 7 Sep. accept 1, plan 1,
   installation 2, overall 4 working days: all on time.
B  LV, no external works, zero investment; submitted Mon 21 Sep. accept 1, plan 1; installation from
   Wed 23 Sep, paused by the customer Thu 24 Sep to Tue 29 Sep (2 working days: 25 Sep is a holiday),
   finished Fri 9 Oct: 6 - 2 = 4 working days against 2 → late (due 30 Sep); overall 8 - 2 = 6 against 5
   → commitment broken. Connected 9 Oct.
C  LV with external works and road excavation, open (constructing); accept 1, plan 2, design 10,
   approval 5 (with the road permit 5, 市城管执法局), construction from Thu 24 Sep due Thu 15 Oct,
   escalated since 20 Oct 24:00 → 5 working days late on 22 Oct. Overall due 19 Oct → overdue.
D  HV single source, connected Mon 31 Aug; accept 1, plan 13, installation 6 against 5 → late;
   overall 20 working days (no HV overall limit); customer cost 120 000.
E  HV dual source, open at plan reply (from Fri 4 Sep, 30 working days, due Thu 22 Oct) → warning.
F  LV (supply plan not answered: no category), submitted Tue 20 Oct, acceptance due 21 Oct → overdue
   (1 working day late).
G  LV, submitted 10 Sep, terminated 15 Sep (clocks cancelled).
Plus a draft (never counted).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from applications.models import Application
from deadlines import clocks
from deadlines.models import StageClock
from supervision.summary import figures_refresh

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 22, 10, 0, tzinfo=SH)
PERIOD = {"from": "2026-08-01", "to": "2026-10-31"}


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@dataclass
class DataSet:
    A: Application
    B: Application
    C: Application
    D: Application
    E: Application
    F: Application
    G: Application
    draft: Application
    customer: object

    def clock(self, app, stage) -> StageClock:
        return StageClock.objects.get(subject_id=app.pk, stage=stage, cancelled_at__isnull=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _case(
    n,
    customer,
    *,
    state,
    voltage="low",
    power_sources=None,
    applicant_type="small_micro",
    capacity="50",
    external_works=None,
    road=None,
    submitted=None,
    connected=None,
    zero=False,
    cost=None,
):
    return Application.objects.create(
        number=f"HHHT-2026-{n:06d}" if submitted else None,
        state=state,
        business="new",
        voltage=voltage,
        power_sources=power_sources,
        applicant_type=applicant_type,
        applicant_name=f"申请人{n}号",
        id_number=f"91150100MA0N{n:05d}X",
        contact_phone=f"1391234{n:04d}",
        address=f"呼和浩特市新城区测试路{n}号",
        capacity_kva=Decimal(capacity),
        external_works=external_works,
        road_excavation=road,
        green_space=False if external_works is not None else None,
        customer=customer,
        submitted_at=submitted,
        connected_at=connected,
        closed_at=connected,
        zero_investment=zero,
        customer_cost=Decimal(cost) if cost is not None else (Decimal("0") if zero else None),
        policy_date=submitted.date() if submitted else None,
    )


def _run(app, steps):
    """steps: (verb, stage, instant) with verb start|finish|pause|resume|overall|update|cancel."""
    for verb, stage, at in steps:
        facts = app.case_facts()
        if verb == "overall":
            clocks.overall_start(subject=app, facts=facts, policy_date=app.policy_date, at=at)
        elif verb == "update":
            clocks.overall_update(subject=app, facts=facts, at=at)
        elif verb == "start":
            clocks.clock_start(subject=app, stage=stage, facts=facts, policy_date=app.policy_date, at=at)
        elif verb == "finish":
            clocks.clock_finish(subject=app, stage=stage, at=at)
        elif verb == "pause":
            clocks.clock_pause(subject=app, reason="客户内部工程未完工", actor=None, at=at)
        elif verb == "resume":
            clocks.clock_resume(subject=app, actor=None, at=at)
        elif verb == "cancel":
            clocks.clock_cancel(subject=app, at=at, reason="终止")


@pytest.fixture
def dataset(db, make_user):
    customer = make_user("sup_customer", roles=["customer"], real_name="王五")
    A = _case(
        1,
        customer,
        state="connected",
        external_works=False,
        road=False,
        submitted=sh(2026, 9, 1, 9),
        connected=sh(2026, 9, 7, 15),
        zero=True,
    )
    _run(
        A,
        [
            ("overall", None, sh(2026, 9, 1, 9)),
            ("start", "accept", sh(2026, 9, 1, 9)),
            ("finish", "accept", sh(2026, 9, 2, 10)),
            ("start", "plan_reply", sh(2026, 9, 2, 10)),
            ("finish", "plan_reply", sh(2026, 9, 3, 10)),
            ("update", None, sh(2026, 9, 3, 10)),
            ("start", "installation", sh(2026, 9, 3, 10)),
            ("finish", "installation", sh(2026, 9, 7, 15)),
            ("finish", "overall", sh(2026, 9, 7, 15)),
        ],
    )
    B = _case(
        2,
        customer,
        state="connected",
        external_works=False,
        road=False,
        submitted=sh(2026, 9, 21, 9),
        connected=sh(2026, 10, 9, 11),
        zero=True,
    )
    _run(
        B,
        [
            ("overall", None, sh(2026, 9, 21, 9)),
            ("start", "accept", sh(2026, 9, 21, 9)),
            ("finish", "accept", sh(2026, 9, 22, 10)),
            ("start", "plan_reply", sh(2026, 9, 22, 10)),
            ("finish", "plan_reply", sh(2026, 9, 23, 10)),
            ("update", None, sh(2026, 9, 23, 10)),
            ("start", "installation", sh(2026, 9, 23, 10)),
            ("pause", None, sh(2026, 9, 24, 10)),
            ("resume", None, sh(2026, 9, 29, 10)),
            ("finish", "installation", sh(2026, 10, 9, 11)),
            ("finish", "overall", sh(2026, 10, 9, 11)),
        ],
    )
    C = _case(
        3,
        customer,
        state="constructing",
        capacity="80",
        external_works=True,
        road=True,
        submitted=sh(2026, 9, 1, 9),
        zero=True,
    )
    _run(
        C,
        [
            ("overall", None, sh(2026, 9, 1, 9)),
            ("start", "accept", sh(2026, 9, 1, 9)),
            ("finish", "accept", sh(2026, 9, 2, 10)),
            ("start", "plan_reply", sh(2026, 9, 2, 10)),
            ("finish", "plan_reply", sh(2026, 9, 4, 10)),
            ("update", None, sh(2026, 9, 4, 10)),
            ("start", "design", sh(2026, 9, 4, 10)),
            ("finish", "design", sh(2026, 9, 18, 10)),
            ("start", "approval", sh(2026, 9, 18, 10)),
            ("start", "road_permit", sh(2026, 9, 18, 10)),
            ("finish", "road_permit", sh(2026, 9, 24, 12)),
            ("finish", "approval", sh(2026, 9, 24, 12)),
            ("start", "construction", sh(2026, 9, 24, 12)),
        ],
    )
    D = _case(
        4,
        customer,
        state="connected",
        voltage="high",
        power_sources=1,
        applicant_type="enterprise",
        capacity="800",
        external_works=False,
        road=False,
        submitted=sh(2026, 8, 3, 9),
        connected=sh(2026, 8, 31, 16),
        cost="120000.00",
    )
    _run(
        D,
        [
            ("overall", None, sh(2026, 8, 3, 9)),
            ("start", "accept", sh(2026, 8, 3, 9)),
            ("finish", "accept", sh(2026, 8, 4, 10)),
            ("start", "plan_reply", sh(2026, 8, 4, 10)),
            ("finish", "plan_reply", sh(2026, 8, 21, 10)),
            ("update", None, sh(2026, 8, 21, 10)),
            ("start", "installation", sh(2026, 8, 21, 10)),
            ("finish", "installation", sh(2026, 8, 31, 16)),
            ("finish", "overall", sh(2026, 8, 31, 16)),
        ],
    )
    E = _case(
        5,
        customer,
        state="accepted",
        voltage="high",
        power_sources=2,
        applicant_type="enterprise",
        capacity="5000",
        submitted=sh(2026, 9, 3, 9),
    )
    _run(
        E,
        [
            ("overall", None, sh(2026, 9, 3, 9)),
            ("start", "accept", sh(2026, 9, 3, 9)),
            ("finish", "accept", sh(2026, 9, 4, 10)),
            ("start", "plan_reply", sh(2026, 9, 4, 10)),
        ],
    )
    F = _case(6, customer, state="submitted", submitted=sh(2026, 10, 20, 9))
    _run(F, [("overall", None, sh(2026, 10, 20, 9)), ("start", "accept", sh(2026, 10, 20, 9))])
    G = _case(7, customer, state="terminated", submitted=sh(2026, 9, 10, 9))
    _run(
        G,
        [
            ("overall", None, sh(2026, 9, 10, 9)),
            ("start", "accept", sh(2026, 9, 10, 9)),
            ("cancel", None, sh(2026, 9, 15, 9)),
        ],
    )
    draft = _case(8, customer, state="draft")
    # What the deadline pass would have stored by now: the level of every open clock at NOW.
    for clock in StageClock.objects.filter(finished_at__isnull=True, cancelled_at__isnull=True):
        clock.level = clocks.level_at(clock, NOW)
        clock.save(update_fields=["level"])
    # The dashboard reads the summary tables the beat rebuilds.
    figures_refresh()
    return DataSet(A=A, B=B, C=C, D=D, E=E, F=F, G=G, draft=draft, customer=customer)


@pytest.fixture
def gxj(make_user):
    return make_user("gxj_sup", roles=["supervisor"], org="gxj")


@pytest.fixture
def fgw(make_user):
    return make_user("fgw_sup", roles=["supervisor"], org="fgw")


@pytest.fixture
def zrzy_sup(make_user):
    return make_user("zrzy_sup", roles=["supervisor"], org="zrzy")


@pytest.fixture
def psb_worker(make_user):
    return make_user("psb_worker", roles=["psb_staff"], org="psb")


@pytest.fixture
def reference_data(transactional_db):
    """For transaction=True tests: an earlier transactional test may have flushed the rows the data
    migrations seed (organisations, roles, the calendar, the 2020 policy); put them back if so."""
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
