"""Department and one-stop window pages: the task queue, the task page with shared drawings and
uploads, the decision forms (400/409), who sees what, and constant queries on the queue."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Application
from approvals import services
from approvals.models import ApprovalTask, SharedDocument
from tests.applications.factories import PDF_BYTES, case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def window_user(make_user):
    return make_user("window_p", roles=["window", "reviewer"], org="xzsp")


@pytest.fixture
def zrzy_user(make_user):
    return make_user("zrzy_p", roles=["reviewer"], org="zrzy")


@pytest.fixture
def jgzd_user(make_user):
    return make_user("jgzd_p", roles=["reviewer"], org="jgzd")


def _task(application, kind):
    return ApprovalTask.objects.filter(application=application, kind=kind).order_by("-id").first()


def _approving(psb_staff):
    return case_in_state("approving", staff=psb_staff, road_excavation=True)


def test_window_accepts_the_filing_and_the_planning_office_grants(client, psb_staff, window_user, zrzy_user):
    application = _approving(psb_staff)
    intake = _task(application, "window_intake")
    client.force_login(window_user)
    html = client.get(reverse("approvals:queue")).content.decode()
    assert "受理施工申请" in html and application.number in html
    url = reverse("approvals:task-action", kwargs={"pk": intake.pk, "name": "accept_filing"})
    response = client.post(url, {"expected_state": "pending"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204, response.content.decode()[:2000]
    planning = _task(application, "planning_permit")
    assert planning is not None and _task(application, "road_permit") is not None
    # The same click again: the task moved on, 409.
    assert client.post(url, {"expected_state": "pending"}).status_code == 409

    client.force_login(zrzy_user)
    page = client.get(reverse("approvals:task", kwargs={"pk": planning.pk})).content.decode()
    assert "开始审查" in page and "共享材料" in page
    act = lambda name: reverse("approvals:task-action", kwargs={"pk": planning.pk, "name": name})  # noqa: E731
    assert client.post(act("start_review"), {"expected_state": "pending"}).status_code == 302
    upload = SimpleUploadedFile("permit.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(
        reverse("approvals:upload", kwargs={"pk": planning.pk}),
        {"upload-kind": "permit", "upload-title": "规划许可证", "upload-file": upload},
    )
    assert response.status_code == 302
    doc = SharedDocument.objects.get(application=application, kind="permit")
    preview = client.get(reverse("approvals:document", kwargs={"pk": doc.pk}))
    assert preview.status_code == 200 and preview["X-Frame-Options"] == "SAMEORIGIN"
    assert preview["Cache-Control"] == "private, no-store" and preview["X-Content-Type-Options"] == "nosniff"
    response = client.post(
        act("grant"), {"expected_state": "in_review", "grant-permit_number": "规划许可〔2026〕8号"}
    )
    assert response.status_code == 302
    planning.refresh_from_db()
    assert planning.state == "granted" and planning.permit_number == "规划许可〔2026〕8号"


def test_refusal_needs_a_reason(client, psb_staff, window_user, zrzy_user):
    application = _approving(psb_staff)
    services.task_transition(
        task_id=_task(application, "window_intake").pk, name="accept_filing", actor=window_user, data={}
    )
    planning = _task(application, "planning_permit")
    services.task_transition(task_id=planning.pk, name="start_review", actor=zrzy_user, data={})
    client.force_login(zrzy_user)
    url = reverse("approvals:task-action", kwargs={"pk": planning.pk, "name": "refuse"})
    response = client.post(url, {"expected_state": "in_review", "refuse-reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "请填写不予许可的理由" in response.content.decode()


def test_other_departments_and_customers_cannot_see_the_task(
    client, psb_staff, jgzd_user, customer, window_user
):
    application = _approving(psb_staff)
    intake = _task(application, "window_intake")
    client.force_login(jgzd_user)
    assert client.get(reverse("approvals:task", kwargs={"pk": intake.pk})).status_code == 404
    assert application.number not in client.get(reverse("approvals:queue")).content.decode()
    client.force_login(customer)
    assert client.get(reverse("approvals:queue")).status_code == 403
    assert client.get(reverse("approvals:task", kwargs={"pk": intake.pk})).status_code == 404


@pytest.mark.parametrize("rows", [1, 4])
def test_task_queue_queries_are_constant(client, psb_staff, window_user, rows, django_assert_num_queries):
    for _ in range(rows):
        _approving(psb_staff)
    ContentType.objects.get_for_model(Application)
    client.force_login(window_user)
    with django_assert_num_queries(9):
        response = client.get(reverse("approvals:queue"))
    assert response.content.decode().count('class="task-row"') == rows


def test_staff_case_page_links_the_permit_tasks(client, psb_staff, customer):
    application = _approving(psb_staff)
    client.force_login(psb_staff)
    html = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    intake = _task(application, "window_intake")
    assert reverse("approvals:task", kwargs={"pk": intake.pk}) in html
    application.customer.roles.add(*customer.roles.all())
    client.force_login(application.customer)
    html = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert reverse("approvals:task", kwargs={"pk": intake.pk}) not in html
