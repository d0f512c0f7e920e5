"""The deadline pass: each level in turn, once per clock and level, notifications to the right people,
paused clocks left alone, the management command, and two passes at once on PostgreSQL."""

import threading
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from deadlines.clocks import clock_finish, clock_pause, clock_resume, clock_start
from deadlines.models import Level, Notification, StageClock, Warning
from deadlines.passes import run_pass

from .conftest import LV, LV_EXTERNAL_ROAD, sh

START = sh(2025, 3, 3, 10)  # Monday; accept (1 working day) is due at 24:00 Tuesday


@pytest.fixture
def people(make_user, psb_staff, supervisor):
    return {
        "psb": psb_staff,  # 市供电局 staff and account manager
        "gxj": supervisor,  # 市工信局 supervisor and leader
        "gxj_sup": make_user("gxj_sup", roles=["supervisor"], org="gxj"),
        "gxj_leader": make_user("gxj_leader", roles=["leader"], org="gxj"),
        "fgw_sup": make_user("fgw_sup", roles=["supervisor"], org="fgw"),
        "fgw_leader": make_user("fgw_leader", roles=["leader"], org="fgw"),
        "zrzy": make_user("zrzy_rev", roles=["reviewer"], org="zrzy"),
        "customer": make_user("cust_x", roles=["customer"]),
    }


def _start(subject, stage="accept", facts=LV, at=START, **kw):
    return clock_start(subject=subject, stage=stage, facts=facts, policy_date=date(2025, 3, 3), at=at, **kw)


def _recipients(clock, level):
    keys = Notification.objects.filter(dedupe_key=f"deadline:{clock.pk}:{level}")
    return set(keys.values_list("recipient__username", flat=True))


@pytest.mark.django_db
def test_each_level_is_reached_in_turn_once(subject, people):
    clock = _start(subject)
    assert run_pass(at=sh(2025, 3, 3, 23, 59)) == {
        "warning": 0,
        "overdue": 0,
        "escalated": 0,
        "notifications": 0,
    }

    counts = run_pass(at=sh(2025, 3, 4, 0, 1))
    assert counts["warning"] == 1
    clock.refresh_from_db()
    assert clock.level == Level.WARNING and clock.next_check_at == clock.due_at
    assert _recipients(clock, "warning") == {"psb1", "gxj1", "gxj_sup"}
    assert run_pass(at=sh(2025, 3, 4, 12))["warning"] == 0  # the same pass again: nothing new

    assert run_pass(at=sh(2025, 3, 5, 0, 0))["overdue"] == 1
    clock.refresh_from_db()
    assert clock.level == Level.OVERDUE and clock.next_check_at == clock.escalate_at == sh(2025, 3, 8)
    assert _recipients(clock, "overdue") == {"psb1", "gxj1", "gxj_sup"}

    assert run_pass(at=sh(2025, 3, 7, 23))["escalated"] == 0  # only 2 working days overdue
    counts = run_pass(at=sh(2025, 3, 8, 0, 0))
    assert counts["escalated"] == 1
    clock.refresh_from_db()
    assert clock.level == Level.ESCALATED and clock.next_check_at is None
    # Escalations also reach the leaders of the coordinating organisation (市工信局 leads the group too).
    assert _recipients(clock, "escalated") == {"psb1", "gxj1", "gxj_sup", "gxj_leader"}
    assert list(
        Warning.objects.filter(clock=clock).order_by("raised_at").values_list("level", flat=True)
    ) == [
        "warning",
        "overdue",
        "escalated",
    ]
    assert run_pass(at=sh(2025, 3, 20)) == {"warning": 0, "overdue": 0, "escalated": 0, "notifications": 0}


@pytest.mark.django_db
def test_construction_warnings_go_to_its_coordinator_and_escalations_to_both_leaderships(subject, people):
    clock = _start(subject, stage="construction", facts=LV_EXTERNAL_ROAD)
    run_pass(at=sh(2025, 4, 30))
    assert _recipients(clock, "escalated") == {"psb1", "fgw_sup", "fgw_leader", "gxj1", "gxj_leader"}
    assert Warning.objects.get(clock=clock).level == "escalated"  # a pass after a long outage: one warning


@pytest.mark.django_db
def test_an_assigned_stage_warns_its_account_manager_not_the_whole_bureau(subject, people, make_user):
    other = make_user("psb2", roles=["psb_staff"], org="psb")
    clock = _start(subject, assignee=other)
    run_pass(at=sh(2025, 3, 4, 1))
    assert _recipients(clock, "warning") == {"psb2", "gxj1", "gxj_sup"}


@pytest.mark.django_db
def test_paused_and_finished_clocks_are_left_alone(subject, another_subject, people):
    paused = _start(subject)
    finished = _start(another_subject)
    clock_pause(subject=subject, reason="等待客户补正资料", actor=people["psb"], at=sh(2025, 3, 3, 15))
    clock_finish(subject=another_subject, stage="accept", at=sh(2025, 3, 3, 16))
    assert run_pass(at=sh(2025, 3, 10)) == {"warning": 0, "overdue": 0, "escalated": 0, "notifications": 0}
    assert not Warning.objects.exists()
    clock_resume(subject=subject, actor=people["customer"], at=sh(2025, 3, 10, 9))
    paused.refresh_from_db()
    assert paused.due_at == sh(2025, 3, 12)  # 5 working days paused
    assert run_pass(at=sh(2025, 3, 11, 0, 1))["warning"] == 1
    finished.refresh_from_db()
    assert finished.level == Level.ON_TIME


@pytest.mark.django_db
def test_a_pause_moves_the_deadline_but_raises_no_warning_twice(subject, people):
    clock = _start(subject)
    run_pass(at=sh(2025, 3, 4, 1))
    clock_pause(subject=subject, reason="客户要求延期", actor=people["psb"], at=sh(2025, 3, 4, 9))
    assert run_pass(at=sh(2025, 3, 5, 12)) == {"warning": 0, "overdue": 0, "escalated": 0, "notifications": 0}
    clock_resume(subject=subject, actor=people["psb"], at=sh(2025, 3, 6, 9))
    clock.refresh_from_db()
    # 5 and 6 March paused: due at the end of Thursday 6th, the day of the resume, still a warning.
    assert clock.due_at == sh(2025, 3, 7) and clock.level == Level.WARNING
    assert clock.next_check_at == clock.due_at
    assert run_pass(at=sh(2025, 3, 6, 10))["warning"] == 0
    assert run_pass(at=sh(2025, 3, 7, 0, 1))["overdue"] == 1
    assert Notification.objects.filter(dedupe_key=f"deadline:{clock.pk}:warning").count() == 3


@pytest.mark.django_db
def test_the_command_runs_the_same_pass_and_prints_counts(subject, another_subject, people):
    _start(subject)
    _start(another_subject, at=sh(2025, 2, 24, 10))
    out = StringIO()
    call_command("check_deadlines", "--at", "2025-03-04T09:00:00+08:00", stdout=out)
    text = out.getvalue()
    assert "warning: 1 new" in text and "escalated: 1 new" in text and "overdue: 0 new" in text
    out = StringIO()
    call_command("check_deadlines", "--at", "2025-03-04T09:00:00+08:00", stdout=out)
    assert "warning: 0 new (1 open)" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_create_nothing_twice(reference_data, make_user, psb_staff, supervisor):
    assert connection.vendor == "postgresql"
    subjects = [make_user(f"race{i}") for i in range(40)]
    for s in subjects:
        _start(s)
    errors, results = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(run_pass(at=sh(2025, 3, 5, 1)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["overdue"] for r in results) == 40
    assert Warning.objects.count() == 40
    assert StageClock.objects.filter(level=Level.OVERDUE).count() == 40
    # Each clock: the account manager and the supervisor (one person, two roles) once each.
    assert Notification.objects.count() == 40 * 2
    assert sum(r["notifications"] for r in results) == 80
    # A third pass, and both again at once, add nothing.
    assert run_pass(at=sh(2025, 3, 5, 1))["overdue"] == 0
    assert Notification.objects.count() == 80


@pytest.mark.django_db
def test_the_portable_path_used_on_sqlite_gives_the_same_result(
    subject, another_subject, people, monkeypatch
):
    from deadlines import passes

    monkeypatch.setattr(passes, "_postgresql", lambda: False)
    first = _start(subject)
    _start(another_subject, at=sh(2025, 2, 24, 10))
    counts = run_pass(at=sh(2025, 3, 4, 9))
    assert counts == {"warning": 1, "overdue": 0, "escalated": 1, "notifications": 7}
    assert run_pass(at=sh(2025, 3, 4, 9))["notifications"] == 0
    assert _recipients(first, "warning") == {"psb1", "gxj1", "gxj_sup"}
    assert Warning.objects.count() == 2
