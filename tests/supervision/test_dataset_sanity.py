"""The fixed data set is what its docstring says (so the figure tests compare with the right numbers)."""

import pytest

from deadlines.models import CreditRecord, StageClock

pytestmark = pytest.mark.django_db


def test_clock_facts_of_the_data_set(dataset):
    d = dataset
    b_inst = d.clock(d.B, "installation")
    assert (b_inst.paused_working_days, b_inst.elapsed_working_days, b_inst.finished_late) == (2, 4, True)
    b_overall = d.clock(d.B, "overall")
    assert (b_overall.elapsed_working_days, b_overall.finished_late, b_overall.limit_working_days) == (
        6,
        True,
        5,
    )
    assert d.clock(d.A, "overall").elapsed_working_days == 4
    assert d.clock(d.D, "overall").elapsed_working_days == 20
    assert d.clock(d.D, "plan_reply").elapsed_working_days == 13
    assert d.clock(d.D, "installation").finished_late is True
    assert d.clock(d.C, "design").elapsed_working_days == 10
    assert d.clock(d.C, "approval").elapsed_working_days == 5
    assert d.clock(d.C, "construction").level == "escalated"
    assert d.clock(d.C, "overall").level == "overdue"
    assert d.clock(d.E, "plan_reply").level == "warning"
    assert d.clock(d.F, "accept").level == "overdue"
    assert StageClock.objects.filter(subject_id=d.G.pk, cancelled_at__isnull=False).count() == 2
    assert CreditRecord.objects.filter(organisation__code="psb").count() == 3  # B inst, B overall, D inst
