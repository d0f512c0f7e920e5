"""Notifications: rows first, delivered once per person, retried with backoff, swept after outages."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from deadlines import notifications
from deadlines.models import DeliveryState, Notification
from deadlines.notifications import deliver, notify, sweep
from deadlines.sms import FakeSmsBackend
from deadlines.tasks import deliver_notifications
from hhht_power.celery import app as celery_app

from .conftest import sh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_sms(settings):
    settings.SMS_BACKEND = "deadlines.sms.FakeSmsBackend"
    FakeSmsBackend.reset()
    yield FakeSmsBackend
    FakeSmsBackend.reset()


@pytest.fixture
def broker_down():
    """Point the producer at a closed port, as if Redis had been stopped; restore afterwards."""
    saved = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = "redis://127.0.0.1:1/15"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_write_url = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _notify(users, key="case:1:returned", at=None):
    return notify(
        recipients=users,
        kind="case.returned",
        title="申请资料需补正",
        body="请补充物业权属证明。",
        url="/applications/1/",
        dedupe_key=key,
        at=at,
    )


def test_one_row_per_recipient_and_never_twice(customer, psb_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = _notify([customer, psb_staff, customer])
    assert len(rows) == 2 and len(callbacks) == 1
    again = _notify([customer])
    assert [n.pk for n in again] == [n.pk for n in rows if n.recipient_id == customer.pk]
    assert Notification.objects.count() == 2
    assert all(n.delivery_state == DeliveryState.PENDING for n in rows)


def test_delivery_sends_email_and_sms_once(customer, mailoutbox, fake_sms):
    with time_machine.travel(sh(2025, 3, 3, 10), tick=False):
        (note,) = _notify([customer])
        assert deliver(note.pk) == DeliveryState.DONE
        assert deliver(note.pk) == "skipped"
        deliver_notifications([note.pk])
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [customer.email]
    assert mailoutbox[0].subject == "申请资料需补正"
    assert fake_sms.outbox == [(customer.phone, "【获得电力】申请资料需补正")]
    note.refresh_from_db()
    assert note.email_sent_at and note.sms_sent_at and note.delivery_state == DeliveryState.DONE


def test_a_failed_gateway_is_retried_with_backoff_without_resending_email(customer, mailoutbox, fake_sms):
    fake_sms.fail_next = 1
    start = sh(2025, 3, 3, 10)
    with time_machine.travel(start, tick=False):
        (note,) = _notify([customer])
        assert deliver(note.pk) == DeliveryState.PENDING
    note.refresh_from_db()
    assert note.attempts == 1 and note.next_attempt_at == start + timedelta(seconds=30)
    assert note.email_sent_at is not None and fake_sms.outbox == []
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert sweep() == 0  # not yet due
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert deliver(note.pk) == DeliveryState.DONE
    assert len(mailoutbox) == 1 and len(fake_sms.outbox) == 1


def test_a_notification_survives_the_broker_being_down_while_it_is_created(
    customer, mailoutbox, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            (note,) = _notify([customer])
    # The broker refused the delivery task; the row is still there, pending.
    note.refresh_from_db()
    assert note.delivery_state == DeliveryState.PENDING and mailoutbox == []
    assert notifications.pending_ids(now=note.created_at) == [note.pk]


def test_the_sweep_sends_what_is_pending_once_the_broker_is_back(customer, mailoutbox, fake_sms):
    (note,) = _notify([customer])
    # No worker ran; the sweep (beat task) enqueues it and the worker delivers it.
    assert sweep(now=note.created_at) == 1
    deliver_notifications([note.pk])
    assert len(mailoutbox) == 1
    assert notifications.pending_ids(now=note.created_at + timedelta(hours=1)) == []


def test_a_worker_killed_mid_delivery_is_picked_up_after_its_claim_expires(customer, mailoutbox):
    start = sh(2025, 3, 3, 10)
    with time_machine.travel(start, tick=False):
        (note,) = _notify([customer])
    Notification.objects.filter(pk=note.pk).update(
        delivery_state=DeliveryState.SENDING, claimed_until=start + timedelta(minutes=5)
    )
    assert deliver(note.pk, now=start + timedelta(minutes=1)) == "skipped"
    assert deliver(note.pk, now=start + timedelta(minutes=6)) == DeliveryState.DONE
    assert len(mailoutbox) == 1
