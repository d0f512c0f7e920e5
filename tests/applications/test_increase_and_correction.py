"""增容 on the whole connection: the existing account number and capacity, zero investment judged on
用电总容量 (existing + added, against the policy's 100 kVA); and the correction at acceptance of the
applicant type, voltage and sources, which computes the stage limits again and tells the customer."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from applications.models import AuditEntry
from deadlines.models import Notification, StageClock
from tests.applications.factories import case_in_state, credit_code

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_an_increase_needs_the_account_number_and_the_existing_capacity(api_as, customer):
    draft = {
        "business": "increase",
        "voltage": "low",
        "applicant_type": "small_micro",
        "applicant_name": "呼和浩特市增容商店",
        "id_number": credit_code(71),
        "contact_phone": "13947100071",
        "address": "呼和浩特市赛罕区增容路1号",
        "capacity_kva": "50",
    }
    me = api_as(customer)
    answer = me.post("/api/v1/applications/", draft, format="json")
    assert answer.status_code == 400
    assert answer.json()["codes"] == {"account_number": ["required"], "existing_capacity_kva": ["required"]}
    answer = me.post(
        "/api/v1/applications/",
        {**draft, "account_number": "04A1", "existing_capacity_kva": "-3"},
        format="json",
    )
    assert answer.json()["codes"] == {
        "account_number": ["account_number_invalid"],
        "existing_capacity_kva": ["capacity_not_positive"],
    }
    created = me.post(
        "/api/v1/applications/",
        {**draft, "account_number": "0471001234", "existing_capacity_kva": "60"},
        format="json",
    )
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("existing", "zero"), [(Decimal("40"), True), (Decimal("50"), True), (Decimal("60"), False)]
)
def test_zero_investment_is_judged_on_the_total_capacity(existing, zero):
    """50 kVA added: 90 and 100 in total stay within the 100 kVA of the policy, 110 does not."""
    application = case_in_state(
        "submitted",
        business="increase",
        account_number="0471001234",
        existing_capacity_kva=existing,
        capacity_kva=50,
    )
    assert application.total_capacity_kva == existing + 50
    assert application.zero_investment is zero
    assert application.customer_cost == (Decimal("0") if zero else None)


def test_a_correction_at_acceptance_recomputes_the_limits_and_tells_the_customer(api_as, customer, psb_staff):
    """Accepted Monday 1 June 2026 10:00 as LV (supply plan 2, overall 5); corrected on the same day to HV
    single source: the supply plan has 15 working days (due the end of 23 June, 端午 on the 19th off) and
    HV has no overall limit."""
    application = case_in_state(
        "accepted", customer=customer, staff=psb_staff, at=sh(2026, 6, 1, 9), step=timedelta(hours=1)
    )
    assert application.zero_investment is True
    url = f"/api/v1/applications/{application.pk}/correct/"
    staff = api_as(psb_staff)
    with time_machine.travel(sh(2026, 6, 1, 11), tick=False):
        assert (
            api_as(customer).post(url, {"voltage": "high", "reason": "x"}, format="json").status_code == 403
        )
        missing = staff.post(url, {"voltage": "high", "power_sources": 1}, format="json")
        assert missing.status_code == 400 and missing.json()["codes"] == {"reason": ["required"]}
        body = staff.post(
            url,
            {
                "voltage": "high",
                "power_sources": 1,
                "applicant_type": "enterprise",
                "reason": "现场核实为10kV专变",
            },
            format="json",
        ).json()
    plan = StageClock.objects.get(subject_id=application.pk, stage="plan_reply")
    overall = StageClock.objects.get(subject_id=application.pk, stage="overall")
    assert (plan.limit_working_days, plan.due_at) == (15, sh(2026, 6, 24))
    assert (overall.limit_working_days, overall.due_at) == (None, None)
    assert (body["voltage"], body["power_sources"], body["applicant_type"]) == ("high", 1, "enterprise")
    entry = AuditEntry.objects.get(application=application, transition="correct")
    assert entry.reason == "现场核实为10kV专变"
    assert entry.data["before"] == {"applicant_type": "small_micro", "voltage": "low", "power_sources": None}
    assert entry.data["limits"] == {"plan_reply": 15, "overall": None}
    application.refresh_from_db()
    assert application.zero_investment is False and application.customer_cost is None
    told = Notification.objects.get(recipient=customer, dedupe_key__contains=":correct:")
    assert "电压等级" in told.title and "现场核实为10kV专变" in told.title
    plan_data = {"external_works": False, "plan_summary": "10kV"}
    staff.post(f"/api/v1/applications/{application.pk}/transitions/reply_plan/", plan_data, format="json")
    with time_machine.travel(sh(2026, 6, 2, 9), tick=False):
        late = staff.post(url, {"voltage": "low", "reason": "再次更正"}, format="json")
    assert late.status_code == 409
