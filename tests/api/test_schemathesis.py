"""Every operation of the OpenAPI schema, fuzzed by schemathesis (its boundary values and a bounded
number of random examples), answers four users (a customer, power-bureau staff, a department reviewer at
the window, a supervisor; each example is sent as each of them) without a server error. Half the generated
ids are replaced by ids that exist, so the requests reach real cases (a draft and one at the permits),
tasks, documents and a pause request, not only 404s."""

from itertools import count

import hypothesis
import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from applications.pause_services import pause_ask
from approvals.models import ApprovalTask
from approvals.services import shared_document_upload
from tests.applications.factories import PDF_BYTES, ApplicationFactory, DocumentFactory, case_in_state

APP = get_wsgi_application()
# Methods the schema does not list are answered by DRF (405) before any of our code: not probed.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=CONFIG
)
ROLES = ("customer", "psb_staff", "window_user", "supervisor")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def window_user(make_user):
    return make_user("window1", roles=["window", "reviewer"], org="xzsp")


@pytest.fixture
def existing(customer, psb_staff):
    """Ids that exist, by the first segment of the path after ``/api/v1/`` (``pid``: a pause request's):
    a case at the permits (its tasks at the window, a shared drawing, a pause staff asked for), the
    customer's draft and a wallet document."""
    case = case_in_state("approving", customer=customer, staff=psb_staff, road_excavation=True)
    tasks = list(ApprovalTask.objects.filter(application=case).values_list("pk", flat=True))
    drawing = shared_document_upload(
        task_id=tasks[0],
        actor=psb_staff,
        kind="design_drawing",
        title="外线路径图",
        file=SimpleUploadedFile("route.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    request = pause_ask(application_id=case.pk, actor=psb_staff, reason_code="customer_delay")
    return {
        "applications": [case.pk, ApplicationFactory(customer=customer, with_documents=True).pk],
        "approval-tasks": tasks,
        "documents": [DocumentFactory(owner=customer).pk],
        "approval-documents": [drawing.pk],
        "pid": [request.pk],
    }


@pytest.fixture
def turns():
    return count()


@pytest.fixture
def users(request, window_user):
    """The four users: every example is sent as each of them."""
    return [request.getfixturevalue(role) for role in ROLES]


@pytest.fixture
def limits_out_of_reach(settings, monkeypatch):
    """The upload and registration rate limits, the sign-in throttle and the lock-out (each tested on its
    own) would answer most examples with 429 before any view reads them."""
    settings.RATE_LIMITS = {group: "100000/h" for group in settings.RATE_LIMITS}
    settings.AXES_FAILURE_LIMIT = 100000
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "100000/min"})


@pytest.fixture
def wsgi():
    """Django's WSGI application, keeping the test's database connection across requests (as Django's
    test client does: a request's start and end would close a connection inside a transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield APP
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_operation_answers_a_server_error(case, users, existing, turns, limits_out_of_reach, wsgi):
    for name in ("id", "pid"):
        pk = (case.path_parameters or {}).get(name)
        if isinstance(pk, str) and pk.isdecimal():  # the coverage phase sends its path values as strings
            pk = int(pk)
        if isinstance(pk, int) and pk % 2 == 0:
            known = existing[name if name == "pid" else case.path.split("/")[3]]
            if known:  # in turn (the coverage phase keeps one id while it varies the rest)
                case.path_parameters[name] = known[next(turns) % len(known)]
    for user in users:
        token, _ = Token.objects.get_or_create(user=user)  # a fuzzed logout may have ended it
        response = case.call(
            app=wsgi,
            headers={"Authorization": f"Token {token.key}"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},  # a WSGI server always gives it; werkzeug does not
        )
        assert response.status_code < 500, (
            user.username,
            case.method,
            case.formatted_path,
            response.text[:2000],
        )
