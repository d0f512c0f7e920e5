"""The permission layer answers the same for every role, whoever asks (pages and the API)."""

import pytest

from accounts.models import Organisation
from accounts.permissions import can

pytestmark = pytest.mark.django_db

ROLE_MATRIX = {
    # role code: organisation
    "customer": None,
    "psb_staff": "psb",
    "account_manager": "psb",
    "reviewer": "zrzy",
    "window": "xzsp",
    "supervisor": "gxj",
    "leader": "gxj",
    "admin": "gxj",
}


@pytest.mark.parametrize("role, org", ROLE_MATRIX.items())
def test_only_administrators_manage_organisations_and_users(make_user, role, org):
    user = make_user(f"u_{role}", roles=[role], org=org)
    assert user.has_role(role)
    assert can(user, "accounts.manage_organisations") is (role == "admin")
    assert can(user, "accounts.manage_users") is (role == "admin")


def test_organisation_users_visible_to_own_unit_and_sub_units(make_user):
    cgzf = Organisation.objects.get(code="cgzf")
    pipeline = Organisation.objects.get(code="cgzf_gxj")
    reviewer = make_user("cg", roles=["reviewer"], org="cgzf")
    outsider = make_user("zr", roles=["reviewer"], org="zrzy")
    assert can(reviewer, "accounts.view_organisation_users", cgzf)
    assert can(reviewer, "accounts.view_organisation_users", pipeline)
    assert not can(outsider, "accounts.view_organisation_users", cgzf)


def test_anonymous_and_inactive_users_may_do_nothing(make_user):
    from django.contrib.auth.models import AnonymousUser

    admin = make_user("gone", roles=["admin"], org="gxj", is_active=False)
    assert not can(AnonymousUser(), "accounts.manage_users")
    assert not can(admin, "accounts.manage_users")


def test_organisations_are_seeded_with_their_sub_units():
    names = dict(Organisation.objects.values_list("code", "name"))
    assert names["psb"] == "市供电局" and names["gxj"] == "市工信局"
    children = {o.name for o in Organisation.objects.get(code="cgzf").children.all()}
    assert children == {"管线局", "绿地广场景观管理局"}
    assert Organisation.objects.get(code="xzsp_window").parent.name == "市行政审批局"
    assert Organisation.objects.get(code="zjj_szgc").parent.name == "市住建局"
    assert Organisation.objects.count() == 13


def test_a_superuser_gets_what_the_rules_give_an_administrator_and_nothing_more(make_user, customer):
    """Decided once in ``can``: no superuser shortcut, on pages, in the API or in a transition."""
    from tests.applications.factories import ApplicationFactory

    root = make_user("root", roles=[], org="gxj", is_superuser=True)
    draft = ApplicationFactory(customer=customer)
    assert can(root, "accounts.manage_users")  # a superuser holds the administrator role
    assert not can(root, "applications.submit", draft)  # the customer's action, not the administrator's
    assert not can(root, "applications.edit_application", draft)
    assert root.has_perm("applications.submit", draft)  # Django's own answer, which the portal never asks
    assert can(customer, "applications.submit", draft)
