"""督办 orders: issued on an overdue or escalated clock, the responsible unit notified and answering, the
issuer closing; visible on the dashboard and in the case timeline."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from deadlines.models import Notification
from supervision import services
from supervision.figures import orders_for_application
from supervision.models import SupervisionOrder
from tests.supervision.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_round_trip_through_the_pages(client, dataset, gxj, psb_worker, django_capture_on_commit_callbacks):
    construction = dataset.clock(dataset.C, "construction")
    client.force_login(gxj)
    page = client.get(f"/supervision/clocks/{construction.pk}/order/")
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/supervision/clocks/{construction.pk}/order/",
            {"instruction": "请说明外线施工超期原因并于期限内完工。", "reply_due": "2026-10-27"},
        )
    order = SupervisionOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supervision/orders/{order.pk}/"
    assert (order.state, order.stage, order.level_at_issue, order.responsible_org.code) == (
        "open",
        "construction",
        "escalated",
        "psb",
    )
    note = Notification.objects.get(recipient=psb_worker, kind="supervision_order")
    assert "督办" in note.title and dataset.C.number in note.title and "2026-10-27" in note.title
    assert note.url == f"/supervision/orders/{order.pk}/"

    dash = client.get("/supervision/", PERIOD).context["figures"]
    assert dash["orders"]["open"] == 1 and dash["orders"]["unclosed"] == [order]
    (escalated,) = dash["lists"]["escalated"]
    assert escalated.open_order == order

    client.force_login(psb_worker)
    assert client.get("/supervision/orders/").context["page"].object_list[0] == order
    response = client.post(
        f"/supervision/orders/{order.pk}/", {"action": "answer", "text": "施工队已增派，预计10月26日完工。"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "answered" and order.replied_at == NOW
    assert Notification.objects.filter(recipient=gxj, kind="supervision_order").count() == 1
    # The responsible unit cannot close its own order.
    assert client.post(f"/supervision/orders/{order.pk}/", {"action": "close", "text": ""}).status_code == 403

    client.force_login(gxj)
    client.post(f"/supervision/orders/{order.pk}/", {"action": "close", "text": "同意。"})
    order.refresh_from_db()
    assert order.state == "closed"

    (found,) = orders_for_application(dataset.C)
    assert [e.kind for e in found.events.all()] == ["issued", "answered", "closed"]
    assert found.events.all()[1].text == "施工队已增派，预计10月26日完工。"


def test_send_back_reopens_the_order(dataset, gxj, psb_worker):
    order = services.order_issue(
        clock_id=dataset.clock(dataset.F, "accept").pk,
        actor=gxj,
        instruction="请立即受理。",
        reply_due=date(2026, 10, 23),
    )
    services.order_answer(order_id=order.pk, actor=psb_worker, text="已联系客户。")
    services.order_send_back(order_id=order.pk, actor=gxj, text="答复未说明受理时间。")
    order.refresh_from_db()
    assert order.state == "open"
    services.order_answer(order_id=order.pk, actor=psb_worker, text="今日受理。")
    assert [e.kind for e in order.events.all()] == ["issued", "answered", "sent_back", "answered"]


def test_who_may_issue_and_on_what(dataset, gxj, fgw, zrzy_sup, psb_worker):
    construction = dataset.clock(dataset.C, "construction")
    warning = dataset.clock(dataset.E, "plan_reply")
    with pytest.raises(PermissionDenied):  # a warning is not yet overdue
        services.order_issue(clock_id=warning.pk, actor=gxj, instruction="x", reply_due=date(2026, 10, 27))
    with pytest.raises(PermissionDenied):  # 市自然资源局 does not coordinate construction
        services.order_issue(
            clock_id=construction.pk, actor=zrzy_sup, instruction="x", reply_due=date(2026, 10, 27)
        )
    with pytest.raises(PermissionDenied):  # not a supervisor
        services.order_issue(
            clock_id=construction.pk, actor=psb_worker, instruction="x", reply_due=date(2026, 10, 27)
        )
    with pytest.raises(ValidationError) as past:
        services.order_issue(
            clock_id=construction.pk, actor=fgw, instruction="x", reply_due=date(2026, 10, 22)
        )
    assert past.value.error_dict["reply_due"][0].code == services.REPLY_DUE_PAST
    order = services.order_issue(  # 市发展改革委 coordinates construction
        clock_id=construction.pk, actor=fgw, instruction="请加快施工。", reply_due=date(2026, 10, 27)
    )
    assert order.issuing_org.code == "fgw"
    with pytest.raises(ValidationError) as twice:
        services.order_issue(
            clock_id=construction.pk, actor=gxj, instruction="再次督办", reply_due=date(2026, 10, 27)
        )
    assert twice.value.error_dict["clock"][0].code == services.ORDER_EXISTS


def test_orders_are_hidden_from_unrelated_units(client, dataset, gxj, make_user):
    order = services.order_issue(
        clock_id=dataset.clock(dataset.C, "construction").pk,
        actor=gxj,
        instruction="请说明。",
        reply_due=date(2026, 10, 27),
    )
    outsider = make_user("jgzd_reviewer", roles=["reviewer"], org="jgzd")
    client.force_login(outsider)
    assert client.get(f"/supervision/orders/{order.pk}/").status_code == 404
    assert list(client.get("/supervision/orders/").context["page"]) == []
    client.force_login(dataset.customer)
    assert client.get(f"/supervision/orders/{order.pk}/").status_code == 404


def test_orders_export(client, dataset, gxj):
    from io import BytesIO

    from openpyxl import load_workbook

    services.order_issue(
        clock_id=dataset.clock(dataset.C, "construction").pk,
        actor=gxj,
        instruction="请说明。",
        reply_due=date(2026, 10, 27),
    )
    client.force_login(gxj)
    wb = load_workbook(BytesIO(client.get("/supervision/orders/", {"export": "xlsx"}).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("督办单号", "申请编号", "环节")
    assert rows[1][1:3] == (dataset.C.number, "外线施工") and rows[1][6:8] == (
        datetime(2026, 10, 27),
        "待答复",
    )
