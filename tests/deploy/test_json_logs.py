"""JSON logs: one request id from the API request into the notification task it causes, with the user
id and the case (its id and number), never a name or a phone."""

import base64
import io
import json
import logging

import pytest

from accounts.masking import MaskPersonalDataFilter
from applications.models import ApplicationState
from deadlines.models import DeliveryState, Notification
from deadlines.tasks import deliver_notifications
from hhht_power.logs import json_formatter
from tests.applications.factories import case_in_state, grid_staff
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The JSON lines written meanwhile, as LOG_FORMAT=json writes them (masking filter included)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(MaskPersonalDataFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# Committed for real, so the delivery is enqueued while the request is served, as in production.
@pytest.mark.django_db(transaction=True)
def test_request_id_follows_the_api_request_into_the_notification_task(api_as, fresh_runs, json_log):
    customer = UserFactory(roles=["customer"], real_name="王小明", phone="13912345678")
    clerk = grid_staff()
    case = case_in_state(ApplicationState.SUBMITTED, customer=customer, staff=clerk)
    fresh_runs.delete("celery")
    got = api_as(clerk).post(
        f"/api/v1/applications/{case.pk}/transitions/accept/",
        {},
        format="json",
        HTTP_X_REQUEST_ID="req-20261205-0001",
    )
    assert got.status_code == 200 and got["X-Request-ID"] == "req-20261205-0001"

    # The worker's side: the delivery message as the broker holds it, run with its headers.
    messages = [json.loads(raw) for raw in fresh_runs.lrange("celery", 0, -1)]
    (message,) = [m for m in messages if m["headers"]["task"] == "deadlines.tasks.deliver_notifications"]
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    deliver_notifications.apply(args=args, kwargs=kwargs, headers=message["headers"])
    assert Notification.objects.filter(recipient=customer, delivery_state=DeliveryState.DONE).exists()

    written = lines(json_log)
    (request,) = [line for line in written if line["logger"] == "hhht_power.requests"]
    assert request["event"].startswith(f"POST /api/v1/applications/{case.pk}/transitions/accept/ 200")
    task = [line for line in written if line.get("task") == "deadlines.tasks.deliver_notifications"]
    assert any(line["logger"] == "hhht_power.tasks" and "SUCCESS" in line["event"] for line in task)
    for line in [request, *task]:
        assert line["request_id"] == "req-20261205-0001"
        assert line["user_id"] == clerk.pk and line["case_id"] == case.pk
        assert line["case_number"] == case.number
        assert line["level"] == "info" and line["timestamp"].endswith("Z")
    text = json_log.getvalue()
    assert "13912345678" not in text and "王小明" not in text and clerk.username not in text


def test_request_without_an_id_gets_one_and_personal_numbers_are_masked(client, json_log):
    got = client.get("/healthz")
    logging.getLogger("applications").warning("callback to %s failed", "13912345678")
    (request,) = [line for line in lines(json_log) if line["logger"] == "hhht_power.requests"]
    assert request["request_id"] == got["X-Request-ID"] and len(got["X-Request-ID"]) == 32
    assert request["user_id"] is None
    (warning,) = [line for line in lines(json_log) if line["logger"] == "applications"]
    assert warning["event"] == "callback to 139****5678 failed" and "request_id" not in warning
