"""Fixtures for the permit tests: one user per department and unit, and helpers driving the tasks."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import services
from approvals.models import ApprovalTask

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def at(*args):
    """Travel to that Asia/Shanghai instant (time frozen)."""
    return time_machine.travel(sh(*args), tick=False)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def window_user(make_user):
    return make_user("window1", roles=["window", "reviewer"], org="xzsp")


@pytest.fixture
def zrzy_user(make_user):
    return make_user("zrzy1", roles=["reviewer"], org="zrzy")


@pytest.fixture
def cgzf_user(make_user):
    return make_user("cgzf1", roles=["reviewer"], org="cgzf")


@pytest.fixture
def pipeline_user(make_user):
    """管线局 (a sub-unit of 市城管执法局): the road permit's site survey."""
    return make_user("gxj_pipeline1", roles=["reviewer"], org="cgzf_gxj")


@pytest.fixture
def greenery_user(make_user):
    """绿地广场景观管理局 (a sub-unit of 市城管执法局): the public green owner's consent, the green fee."""
    return make_user("ldgc1", roles=["reviewer"], org="cgzf_ldgc")


@pytest.fixture
def zjj_user(make_user):
    return make_user("zjj1", roles=["reviewer"], org="zjj")


@pytest.fixture
def jgzd_user(make_user):
    return make_user("jgzd1", roles=["reviewer"], org="jgzd")


@pytest.fixture
def fgw_user(make_user):
    return make_user("fgw1", roles=["supervisor"], org="fgw")


@pytest.fixture
def departments(window_user, zrzy_user, cgzf_user, pipeline_user, greenery_user, zjj_user, jgzd_user):
    return {
        "window": window_user,
        "zrzy": zrzy_user,
        "cgzf": cgzf_user,
        "pipeline": pipeline_user,
        "greenery": greenery_user,
        "zjj": zjj_user,
        "jgzd": jgzd_user,
    }


def task_of(application, kind, *, open_only=True) -> ApprovalTask:
    qs = ApprovalTask.objects.filter(application=application, kind=kind)
    if open_only:
        qs = qs.exclude(state__in=["withdrawn", "refused"])
    return qs.order_by("-round", "-id").first()


def step(task, name, actor, **data):
    return services.task_transition(task_id=task.pk, name=name, actor=actor, data=data)


def push(application, window_user, **data):
    """The window accepts the filing: the permits are pushed."""
    return step(task_of(application, "window_intake"), "accept_filing", window_user, **data)


def grant_road(application, d, *, permit_number="城管路审〔2026〕1号"):
    road = task_of(application, "road_permit")
    step(road, "start_review", d["cgzf"])
    for unit in ("pipeline", "zjj", "jgzd"):
        step(road, "record_part", d[unit], note="现场踏勘无异议")
    return step(road, "grant", d["cgzf"], permit_number=permit_number)


def grant_planning(application, d):
    planning = task_of(application, "planning_permit")
    step(planning, "start_review", d["zrzy"])
    return step(planning, "grant", d["zrzy"], permit_number="规划许可〔2026〕1号")


def grant_green(application, d):
    green = task_of(application, "green_permit")
    step(green, "start_review", d["window"])
    step(green, "record_part", d["greenery"], note="同意占用")
    return step(green, "grant", d["window"], permit_number="绿地许可〔2026〕1号")


@pytest.fixture
def road_pushed_monday(psb_staff, departments) -> ApprovalTask:
    """A road permit pushed to 市城管执法局 on Monday 14 September 2026 at 09:30 (the planning permit of
    the same case granted): 8 working days, the make-up Sunday the 20th counting, so due at the end of
    the 23rd."""
    from datetime import timedelta

    from tests.applications.factories import case_in_state

    with at(2026, 9, 14, 9, 30):
        application = case_in_state(
            "approving",
            road_excavation=True,
            staff=psb_staff,
            at=sh(2026, 9, 7, 9, 0),
            step=timedelta(hours=2),
        )
        push(application, departments["window"])
        grant_planning(application, departments)
    road = task_of(application, "road_permit")
    assert road.clock.due_at == sh(2026, 9, 24)
    return road
