"""Contact and appointment: the customer sees its account manager's name and work phone; staff open
meter-installation slots, the customer of a case in 竣工装表 books one, and both sides see the booking."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.appointments import MeterVisitBooking, MeterVisitSlot
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def _detail(client, application):
    return client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()


def test_account_manager_name_and_work_phone_on_the_customers_page(client, customer, make_user):
    manager = make_user("psb_am", roles=["psb_staff", "account_manager"], org="psb", real_name="高经理")
    manager.work_phone = "0471-6661234"
    manager.save(update_fields=["work_phone"])
    application = case_in_state("accepted", customer=customer, staff=manager)
    application.account_manager = manager
    application.save(update_fields=["account_manager"])
    client.force_login(customer)
    html = _detail(client, application)
    assert "高经理" in html and 'href="tel:0471-6661234"' in html


def test_staff_open_a_slot_the_customer_books_and_both_see_it(client, customer, psb_staff):
    application = case_in_state("installing", customer=customer, staff=psb_staff)
    client.force_login(psb_staff)
    day = timezone.localdate() + timedelta(days=3)
    url = reverse("applications:slots")
    bad = client.post(url, {"day": day.isoformat(), "start": "11:00", "end": "09:00", "capacity": "1"})
    assert bad.status_code == 400 and "结束时间须晚于开始时间" in bad.content.decode()
    response = client.post(url, {"day": day.isoformat(), "start": "09:00", "end": "11:00", "capacity": "1"})
    assert response.status_code == 302
    slot = MeterVisitSlot.objects.get()

    client.force_login(customer)
    html = _detail(client, application)
    assert 'id="visit-form"' in html and f'value="{slot.pk}"' in html
    book = reverse("applications:book-visit", kwargs={"pk": application.pk})
    assert client.post(book, {"slot": "999999"}).status_code == 400
    assert client.post(book, {"slot": slot.pk}).status_code == 302
    assert MeterVisitBooking.objects.get(application=application).slot == slot
    assert f"{day:%Y-%m-%d} 09:00—11:00" in _detail(client, application)

    # The slot is full for another customer's case.
    other = case_in_state("installing", staff=psb_staff)
    client.force_login(other.customer)
    assert f'value="{slot.pk}"' not in _detail(client, other)
    response = client.post(reverse("applications:book-visit", kwargs={"pk": other.pk}), {"slot": slot.pk})
    assert response.status_code == 400 and "已约满" in response.content.decode()

    client.force_login(psb_staff)
    assert f"{day:%Y-%m-%d} 09:00—11:00" in _detail(client, application)
    assert application.number in client.get(url).content.decode()


def test_only_the_case_in_installation_can_book(client, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    slot = MeterVisitSlot.objects.create(
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=2, hours=2),
        opened_by=psb_staff,
    )
    client.force_login(customer)
    response = client.post(
        reverse("applications:book-visit", kwargs={"pk": application.pk}), {"slot": slot.pk}
    )
    assert response.status_code == 409
