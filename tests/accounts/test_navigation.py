"""The navigation: the responsible units (power bureau, departments, the window) reach their 督办 orders
from the menu, not only through a notification; customers and supervisors do not get that item."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.navigation import nav_for

pytestmark = pytest.mark.django_db

ORDERS = "supervision:orders"


@pytest.mark.parametrize(
    ("roles", "org"),
    [(["psb_staff", "account_manager"], "psb"), (["reviewer"], "zrzy"), (["window", "reviewer"], "xzsp")],
)
def test_responsible_units_find_the_orders_list_in_the_menu(client, make_user, roles, org):
    user = make_user(roles=roles, org=org)
    client.force_login(user)
    html = client.get(reverse("supervision:guide")).content.decode()
    assert f'href="{reverse(ORDERS)}"' in html
    assert "督办单" in html
    # The page the item leads to opens for them.
    assert client.get(reverse(ORDERS)).status_code == 200


def test_customers_and_supervisors_do_not_get_the_item(customer, supervisor):
    assert ORDERS not in {i["name"] for i in nav_for(customer)}
    assert ORDERS not in {i["name"] for i in nav_for(supervisor)}


def test_the_item_has_an_english_label(make_user):
    user = make_user(roles=["reviewer"], org="zrzy")
    with translation.override("en"):
        labels = {i["name"]: str(i["label"]) for i in nav_for(user)}
    assert labels[ORDERS] == "Supervision orders"
