"""The risk flag and the predicted completion judged from what stages actually took over the last 12
months (median and 90th percentile per stage and limit), the limit standing in under 20 samples."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from applications.models import Application
from deadlines.models import PolicyDocument, StageClock, StageNorm
from deadlines.risk import MIN_SAMPLES, _norm_rows, norms_refresh, percentile_disc, refresh, risks_for
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


# stage: (limit, elapsed working days of the finished stages in the window). Sorted, percentile_disc
# takes the 10th of 20 values as the median and the 18th as the 90th percentile.
HISTORY = {
    "design": (12, [4] * 5 + [6] * 10 + [10] * 5),  # median 6, p90 10
    "window_intake": (1, [1] * 20),
    "planning_permit": (5, [3] * 20),
    "road_permit": (8, [5] * 15 + [8] * 5),  # 5, 8
    "construction": (10, [6] * 15 + [9] * 5),  # 6, 9
    "installation": (2, [1] * (MIN_SAMPLES - 1)),  # too few: the limit (2) stands in
}


def _finished(stage, limit, elapsed, *, finished_at, n, cancelled=False):
    ct = ContentType.objects.get_for_model(Application)
    policy = PolicyDocument.objects.get(code="hohhot-2020")
    return [
        StageClock(
            subject_type=ct,
            subject_id=900_000 + n + i,
            stage=stage,
            policy=policy,
            limit_working_days=limit,
            started_at=finished_at - timedelta(days=20),
            finished_at=None if cancelled else finished_at,
            cancelled_at=finished_at if cancelled else None,
            elapsed_working_days=days,
        )
        for i, days in enumerate(elapsed)
    ]


@pytest.fixture
def history():
    rows, n = [], 0
    for stage, (limit, elapsed) in HISTORY.items():
        rows += _finished(stage, limit, elapsed, finished_at=sh(2026, 6, 10, 10), n=n)
        n += 100
    # Outside the 12 months, or cancelled: not part of what stages take.
    rows += _finished("design", 12, [30] * 20, finished_at=sh(2025, 10, 30, 10), n=n)
    rows += _finished("design", 12, [30] * 20, finished_at=sh(2026, 6, 10, 10), n=n + 100, cancelled=True)
    StageClock.objects.bulk_create(rows)


@pytest.fixture
def designing(customer, psb_staff):
    """An LV case with external works and road excavation (overall 30 working days), submitted and
    answered on Monday 2 November 2026: in design since 11:00 that day."""
    return case_in_state(
        "designing",
        customer=customer,
        staff=psb_staff,
        road_excavation=True,
        at=sh(2026, 11, 2, 9),
        step=timedelta(hours=1),
    )


def test_the_norms_are_the_median_and_90th_percentile_of_the_last_12_months(history):
    assert norms_refresh(today=date(2026, 11, 3)) == 6
    norms = {n.stage: (n.samples, n.median_working_days, n.p90_working_days) for n in StageNorm.objects.all()}
    assert norms == {
        "design": (20, 6, 10),
        "window_intake": (20, 1, 1),
        "planning_permit": (20, 3, 3),
        "road_permit": (20, 5, 8),
        "construction": (20, 6, 9),
        "installation": (19, 1, 1),
    }
    assert norms_refresh(today=date(2026, 11, 3)) == 6  # replaced, not added
    assert StageNorm.objects.count() == 6


def test_at_the_limits_the_case_is_at_risk_at_what_stages_take_it_is_not(history, designing):
    today = date(2026, 11, 3)
    # No norms yet: the limits. Design 12 (1 taken), intake 1, road permit 8 (slowest of the permits),
    # construction 10, installation 2 = 32 against 29 working days left of the 30.
    risk = risks_for([designing], today=today)[designing.pk]
    assert (risk.budget, risk.need, risk.at_risk) == (29, 32, True)
    norms_refresh(today=today)
    # Design 6 (1 taken), intake 1, road permit 5, construction 6, installation at its limit 2 = 19;
    # at the 90th percentile 9 + 1 + 8 + 9 + 2 = 29.
    risk = risks_for([designing], today=today)[designing.pk]
    assert (risk.budget, risk.need, risk.need_p90, risk.at_risk) == (29, 19, 29, False)
    # 19 working days after Tuesday 3 November is Monday 30 November; 29 is Monday 14 December, the
    # promised day itself.
    assert risk.predicted == date(2026, 11, 30)
    assert risk.predicted_p90 == date(2026, 12, 14)


def test_the_refresh_computes_the_norms_and_stores_the_verdict(history, designing):
    assert refresh(at=sh(2026, 11, 3, 9))["at_risk"] == 0
    overall = StageClock.objects.get(subject_id=designing.pk, stage="overall")
    assert (overall.at_risk, overall.risk_budget, overall.risk_need) == (False, 29, 19)
    assert StageNorm.objects.get(stage="design").computed_on == date(2026, 11, 3)


def test_customer_and_staff_see_the_predicted_date_beside_the_promised_one(
    client, history, designing, customer, psb_staff
):
    norms_refresh(today=date(2026, 11, 3))
    with time_machine.travel(sh(2026, 11, 3, 10), tick=False):
        client.force_login(customer)
        html = client.get(reverse("applications:detail", kwargs={"pk": designing.pk})).content.decode()
        assert "承诺办结（送电）时间" in html and "2026-12-14" in html
        predicted = html.split('id="predicted-completion"')[1].split("</p>")[0]
        assert "预计送电时间" in predicted and "2026-11-30" in predicted
        assert "较慢时为 2026-12-14" in predicted
        assert "超期风险" not in html
        client.force_login(psb_staff)
        html = client.get(reverse("applications:detail", kwargs={"pk": designing.pk})).content.decode()
        assert 'id="predicted-completion"' in html
        queue = client.get(reverse("applications:queue")).content.decode()
        row = queue.split(f'data-number="{designing.number}"')[1].split("</tr>")[0]
        assert '<span class="predicted-day">2026-11-30</span>' in row


@pytest.mark.parametrize("size", [1, 2, 3, 7, 19, 20, 21, 100])
def test_the_percentile_without_postgresql_is_postgresqls_percentile_disc(size):
    """make run's SQLite computes the norms in Python: the same observed values PostgreSQL picks."""
    values = [(i * 37) % 23 for i in range(size)]
    with connection.cursor() as cursor:
        for fraction in (0.5, 0.9):
            cursor.execute(
                "SELECT percentile_disc(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) AS v",
                [fraction, values],
            )
            assert percentile_disc(values, fraction) == cursor.fetchone()[0]


def test_the_norms_without_postgresql_are_the_same_rows(history):
    norms_refresh(today=date(2026, 11, 3))
    stored = {
        (n.stage, n.limit_working_days, n.samples, n.median_working_days, n.p90_working_days)
        for n in StageNorm.objects.all()
    }
    samples = [(stage, limit, days) for stage, (limit, elapsed) in HISTORY.items() for days in elapsed]
    computed = {
        (r["stage"], r["limit_working_days"], r["samples"], r["median"], r["p90"])
        for r in _norm_rows(samples)
    }
    assert computed == stored
