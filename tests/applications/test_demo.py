"""Demo cases: created by seed_demo for the two demo customers, with clocks, and idempotent."""

import pytest
from django.core.management import call_command

from applications.models import Application
from deadlines.models import StageClock

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_cases_in_several_states_once():
    with open("/dev/null", "w") as out:
        call_command("seed_demo", stdout=out)
        first = sorted(Application.objects.values_list("customer__username", "state", "number"))
        call_command("seed_demo", stdout=out)
    assert sorted(Application.objects.values_list("customer__username", "state", "number")) == first
    states = {state for _u, state, _n in first}
    assert {"draft", "submitted", "returned", "accepted", "designing", "installing", "connected"} <= states
    assert {u for u, _s, _n in first} == {"customer_demo", "customer_demo2"}
    submitted = Application.objects.exclude(state="draft")
    assert all(StageClock.objects.filter(subject_id=a.pk, stage="overall").exists() for a in submitted)
    assert Application.objects.filter(state="connected", zero_investment=True, customer_cost=0).exists()
