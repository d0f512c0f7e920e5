"""A department's overdue permit: the deadline pass (run at a travelled time, as the beat does) warns that
department and the coordinating supervisor 市工信局, and nobody else."""

from io import StringIO

import pytest
from django.core.management import call_command

from deadlines.models import Notification, Warning

pytestmark = pytest.mark.django_db


def test_an_overdue_road_permit_warns_the_department_and_the_supervisor(
    api_as, departments, supervisor, road_pushed_monday
):
    d = departments
    road = road_pushed_monday
    application = road.application

    out = StringIO()
    call_command("check_deadlines", at="2026-09-23T09:00:00+08:00", stdout=out)
    assert Warning.objects.filter(clock=road.clock, level="warning").exists()
    call_command("check_deadlines", at="2026-09-24T09:00:00+08:00", stdout=out)
    call_command("check_deadlines", at="2026-09-24T09:05:00+08:00", stdout=out)  # twice: nothing new
    assert Warning.objects.filter(clock=road.clock, level="overdue").count() == 1

    # The permit's own clock (its joint site survey has clocks of its own, one per unit).
    overdue = Notification.objects.filter(
        kind="deadline.overdue", dedupe_key=f"deadline:{road.clock_id}:overdue"
    )
    recipients = set(overdue.values_list("recipient__username", flat=True))
    # 市城管执法局 and its sub-units (管线局, 绿地广场景观管理局), and 市工信局; not the other departments.
    assert recipients == {"cgzf1", "gxj_pipeline1", "ldgc1", supervisor.username}
    title = overdue.filter(recipient=d["cgzf"]).get().title
    assert "超期" in title and "临时占用、挖掘城市道路审批" in title and application.number in title
    assert not Notification.objects.filter(kind__startswith="deadline.", recipient=d["zrzy"]).exists()
    # The task lists show the level to the department and the supervisor.
    for user in (d["cgzf"], supervisor):
        listed = api_as(user).get("/api/v1/approval-tasks/", {"level": "overdue"}).json()["results"]
        assert [(t["id"], t["clock"]["level"]) for t in listed] == [(road.pk, "overdue")]
