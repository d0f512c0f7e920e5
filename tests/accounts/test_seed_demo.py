import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db

DEMO = {
    "customer_demo",
    "customer_demo2",
    "psb_demo",
    "window_demo",
    "zrzy_demo",
    "cgzf_demo",
    "zjj_demo",
    "jgzd_demo",
    "gxj_demo",
    "fgw_demo",
    "admin_demo",
}


def _snapshot():
    return sorted(
        (u.username, u.password, u.organisation_id, tuple(sorted(u.role_codes)))
        for u in User.objects.prefetch_related("roles")
    )


def test_seed_demo_creates_exactly_the_spec_accounts_and_is_idempotent(client):
    call_command("seed_demo", "--password", "Demo-pass-2026", stdout=open("/dev/null", "w"))
    assert set(User.objects.values_list("username", flat=True)) >= DEMO
    first = _snapshot()
    call_command("seed_demo", "--password", "Demo-pass-2026", stdout=open("/dev/null", "w"))
    assert _snapshot() == first
    by_name = {u.username: u for u in User.objects.filter(username__in=DEMO)}
    assert by_name["psb_demo"].organisation.name == "市供电局"
    assert by_name["psb_demo"].role_codes == {"psb_staff", "account_manager"}
    assert by_name["gxj_demo"].has_role("supervisor")
    assert by_name["fgw_demo"].organisation.name == "市发展改革委"
    # Customers can call their account manager and book a meter visit; demo cases carry their district.
    from applications.appointments import MeterVisitSlot
    from applications.models import Application

    assert by_name["psb_demo"].work_phone
    assert MeterVisitSlot.objects.count() == 6  # seeded once
    assert not Application.objects.exclude(state="draft").filter(district="").exists()
    assert by_name["admin_demo"].is_superuser
    for username in DEMO:
        response = client.post("/accounts/login/", {"username": username, "password": "Demo-pass-2026"})
        assert response.status_code == 302, username
        client.post("/accounts/logout/")
