"""督办 orders on the case page: staff and supervisors who may see the case read each order they may
open (issuer, responsible unit, stage, reply date, state, replies); the customer never does; the page's
queries do not grow with the number of orders."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from deadlines.models import StageClock
from supervision import services
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def _overdue_accept(application) -> StageClock:
    clock = StageClock.objects.get(subject_id=application.pk, stage="accept", cancelled_at__isnull=True)
    StageClock.objects.filter(pk=clock.pk).update(level="overdue", due_at=timezone.now() - timedelta(days=1))
    return clock


def _order(clock, supervisor, psb_staff, *, reply, close=False):
    order = services.order_issue(
        clock_id=clock.pk,
        actor=supervisor,
        instruction="请立即受理并说明超期原因。",
        reply_due=timezone.localdate() + timedelta(days=3),
    )
    services.order_answer(order_id=order.pk, actor=psb_staff, text=reply)
    if close:
        services.order_close(order_id=order.pk, actor=supervisor, text="同意。")
    return order


def _page(client, user, application):
    client.force_login(user)
    response = client.get(reverse("applications:detail", kwargs={"pk": application.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_staff_and_supervisor_see_the_orders_the_customer_does_not(client, customer, psb_staff, supervisor):
    application = case_in_state("submitted", customer=customer, staff=psb_staff)
    clock = _overdue_accept(application)
    order = _order(clock, supervisor, psb_staff, reply="已安排专人今日受理。")

    for user in (psb_staff, supervisor):
        html = _page(client, user, application)
        assert 'id="supervision-orders"' in html, user
        assert html.count('class="border-start border-danger ps-2 mb-2 supervision-order') == 1
        assert "市工信局" in html or str(order.issuing_org) in html
        assert str(order.responsible_org) in html
        assert order.reply_due.isoformat() in html
        assert "已安排专人今日受理。" in html  # the reply
        assert "已答复" in html  # the state
        assert f'href="/supervision/orders/{order.pk}/"' in html  # both may open the order

    html = _page(client, customer, application)
    assert 'id="supervision-orders"' not in html
    assert "已安排专人今日受理。" not in html and "督办" not in html


def test_the_page_queries_do_not_grow_with_the_orders(client, psb_staff, supervisor):
    application = case_in_state("submitted", staff=psb_staff)
    clock = _overdue_accept(application)
    _order(clock, supervisor, psb_staff, reply="第一次答复。", close=True)
    ContentType.objects.get_for_model(Application)
    url = reverse("applications:detail", kwargs={"pk": application.pk})
    client.force_login(psb_staff)
    client.get(url)  # warm per-process caches (policy, content types)
    with CaptureQueriesContext(connection) as one:
        assert "第一次答复。" in client.get(url).content.decode()

    _order(clock, supervisor, psb_staff, reply="第二次答复。", close=True)
    _order(clock, supervisor, psb_staff, reply="第三次答复。")
    with CaptureQueriesContext(connection) as three:
        html = client.get(url).content.decode()
    assert "第二次答复。" in html and "第三次答复。" in html
    assert html.count("supervision-order state-") == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_a_department_reads_only_the_orders_addressed_to_it(
    client, customer, psb_staff, supervisor, make_user
):
    from applications import services as case_services
    from approvals.models import ApprovalTask
    from approvals.services import task_transition

    application = case_in_state("submitted", customer=customer, staff=psb_staff)
    to_bureau = _order(_overdue_accept(application), supervisor, psb_staff, reply="已安排专人今日受理。")
    for name, data in (
        ("accept", {}),
        ("reply_plan", {"external_works": True, "road_excavation": True, "green_space": False}),
        ("finish_design", {}),
    ):
        case_services.application_transition(
            application_id=application.pk, name=name, actor=psb_staff, data=data
        )
    window = make_user("window9", roles=["window", "reviewer"], org="xzsp")
    intake = ApprovalTask.objects.get(application=application, kind="window_intake")
    task_transition(task_id=intake.pk, name="accept_filing", actor=window, data={})
    road = ApprovalTask.objects.get(application=application, kind="road_permit")
    StageClock.objects.filter(pk=road.clock_id).update(
        level="overdue", due_at=timezone.now() - timedelta(days=1)
    )
    cgzf = make_user("cgzf9", roles=["reviewer"], org="cgzf")
    to_department = _order(road.clock, supervisor, cgzf, reply="已组织联合踏勘。")

    html = _page(client, cgzf, application)
    assert f'href="/supervision/orders/{to_department.pk}/"' in html and "已组织联合踏勘。" in html
    assert f"/supervision/orders/{to_bureau.pk}/" not in html and "已安排专人今日受理。" not in html
    # The bureau likewise reads its own order only (supervision.view_order); the issuing supervisor both.
    html = _page(client, psb_staff, application)
    assert (
        f"/supervision/orders/{to_bureau.pk}/" in html
        and f"/supervision/orders/{to_department.pk}/" not in html
    )
    assert _page(client, supervisor, application).count("supervision-order state-") == 2
