"""seed_demo's supervision data: late cases at each level, one connected late (credit records), one 督办
order from gxj_demo; created once however often the command runs; the dashboard shows them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from applications.models import Application
from deadlines.models import CreditRecord, StageClock
from supervision.demo import LATE_CASES
from supervision.models import SupervisionOrder

pytestmark = pytest.mark.django_db

# Wed 25 Nov 2026, a working day (a warning starts on its due day, so the demo needs one).
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _seed():
    with open("/dev/null", "w") as out:
        call_command("seed_demo", "--password", "Demo-pass-2026", stdout=out)


def _case(address):
    return Application.objects.get(address=address)


def test_seed_demo_twice_creates_the_late_cases_once_and_the_dashboard_shows_them(client):
    with time_machine.travel(NOW, tick=False):
        _seed()
        first = (Application.objects.count(), SupervisionOrder.objects.count(), CreditRecord.objects.count())
        _seed()
        assert (
            Application.objects.count(),
            SupervisionOrder.objects.count(),
            CreditRecord.objects.count(),
        ) == first

        cases = {key: _case(address) for key, _name, address, *_rest in LATE_CASES}
        for key in ("warning", "overdue", "escalated"):
            design = StageClock.objects.get(subject_id=cases[key].pk, stage="design")
            assert design.finished_at is None and design.level == key, key
        assert cases["late"].state == "connected"
        late = CreditRecord.objects.filter(subject_id=cases["late"].pk, organisation__code="psb")
        assert late.exists()

        (order,) = SupervisionOrder.objects.all()
        assert order.application == cases["escalated"]
        assert (order.stage, order.state, order.issued_by.username) == ("design", "open", "gxj_demo")

        client.force_login(User.objects.get(username="gxj_demo"))
        figures = client.get("/supervision/").context["figures"]
        counts = figures["level_counts"]
        assert counts["warning"] >= 1 and counts["overdue"] >= 1 and counts["escalated"] >= 1
        listed = {level: {c.application.number for c in rows} for level, rows in figures["lists"].items()}
        for key in ("warning", "overdue", "escalated"):
            assert cases[key].number in listed[key], key
        assert figures["orders"]["open"] == 1

        # psb_demo, the responsible unit, finds the order in its list.
        client.force_login(User.objects.get(username="psb_demo"))
        assert list(client.get("/supervision/orders/").context["page"].object_list) == [order]
