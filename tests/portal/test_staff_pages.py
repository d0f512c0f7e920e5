"""Staff pages through Django's test client: the queue (urgency order, counts, filters, search), the case
page (unmasked data, documents, one form per available transition), 400 and 409 answers, pause and resume,
assigning the account manager."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationState
from deadlines.models import StageClock
from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, psb_staff):
    client.force_login(psb_staff)
    return client


def _set_level(application, level, due_in_hours):
    clock = StageClock.objects.filter(
        subject_id=application.pk, finished_at__isnull=True, cancelled_at__isnull=True
    ).exclude(stage="overall")
    clock.update(level=level, due_at=timezone.now() + timedelta(hours=due_in_hours))


def test_queue_puts_the_most_urgent_first_with_counts(staff_client, psb_staff):
    later = case_in_state("submitted", staff=psb_staff)
    sooner = case_in_state("submitted", staff=psb_staff)
    warning = case_in_state("accepted", staff=psb_staff)
    overdue = case_in_state("accepted", staff=psb_staff)
    escalated = case_in_state("submitted", staff=psb_staff)
    _set_level(later, "on_time", 48)
    _set_level(sooner, "on_time", 24)
    _set_level(warning, "warning", 2)
    _set_level(overdue, "overdue", -5)
    _set_level(escalated, "escalated", -50)
    response = staff_client.get(reverse("applications:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    order = [html.index(f'data-number="{a.number}"') for a in (escalated, overdue, warning, sooner, later)]
    assert order == sorted(order)
    assert 'data-level="escalated">督办 1' in html
    assert 'data-state="submitted">已提交 3' in html


def test_queue_filters_and_search(staff_client, psb_staff):
    a = case_in_state("submitted", staff=psb_staff, applicant_name="青城五金店")
    b = case_in_state("accepted", staff=psb_staff, high_voltage=True)
    html = staff_client.get(reverse("applications:queue"), {"q": "五金"}).content.decode()
    assert a.number in html and b.number not in html
    html = staff_client.get(reverse("applications:queue"), {"voltage": "high"}).content.decode()
    assert b.number in html and a.number not in html
    html = staff_client.get(reverse("applications:queue"), {"state": "accepted"}).content.decode()
    assert b.number in html and a.number not in html
    html = staff_client.get(reverse("applications:queue"), {"stage": "plan_reply"}).content.decode()
    assert b.number in html and a.number not in html
    html = staff_client.get(reverse("applications:queue"), {"mine": "1"}).content.decode()
    assert b.number in html and a.number not in html  # accepted by psb_staff, now its account manager
    fragment = staff_client.get(reverse("applications:queue"), {"q": a.number}, HTTP_HX_REQUEST="true")
    assert 'id="queue-results"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_a_whole_case_number_finds_that_case_and_part_of_one_finds_several(staff_client, psb_staff):
    cases = [case_in_state("submitted", staff=psb_staff) for _ in range(3)]
    queue = reverse("applications:queue")

    def found(text):
        html = staff_client.get(queue, {"q": text}).content.decode()
        return {a.number for a in cases if a.number in html}

    first = cases[0].number  # e.g. HHHT-2026-000001
    assert found(first) == {first}
    assert found(f"  {first.lower()} ") == {first}  # pasted with spaces, typed in lower case
    assert found(first[:-1]) == {a.number for a in cases if a.number.startswith(first[:-1])}
    assert found("HHHT-") == {a.number for a in cases}


def test_customer_cannot_open_the_queue(client, customer):
    client.force_login(customer)
    assert client.get(reverse("applications:queue")).status_code == 403


def test_case_page_shows_unmasked_data_and_the_available_forms(staff_client, psb_staff):
    application = case_in_state("submitted", staff=psb_staff)
    html = staff_client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert application.id_number in html and application.contact_phone in html
    assert 'id="transition-accept"' in html and 'id="transition-return_for_materials"' in html
    assert 'id="transition-connect"' not in html
    assert "预览" in html  # documents can be previewed in the page
    doc = application.documents.first()
    preview = staff_client.get(reverse("applications:document-preview", kwargs={"pk": doc.pk}))
    assert preview.status_code == 200 and preview["X-Frame-Options"] == "SAMEORIGIN"


def test_supervisor_sees_masked_personal_data(client, supervisor, psb_staff):
    application = case_in_state("submitted", staff=psb_staff)
    client.force_login(supervisor)
    response = client.get(reverse("applications:detail", kwargs={"pk": application.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert application.id_number not in html and application.contact_phone not in html
    assert 'id="transition-accept"' not in html


def test_accept_reply_plan_and_connect_through_the_forms(staff_client, psb_staff):
    application = case_in_state("submitted", staff=psb_staff)
    url = lambda name: reverse("applications:transition", kwargs={"pk": application.pk, "name": name})  # noqa: E731
    response = staff_client.post(url("accept"), {"expected_state": "submitted"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("applications:detail", kwargs={"pk": application.pk})
    # A plan answer without the yes/no: the service's message, shown in the card (400).
    response = staff_client.post(
        url("reply_plan"),
        {"expected_state": "accepted", "reply_plan-plan_summary": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "请回答“是”或“否”" in response.content.decode()
    assert 'id="transition-reply_plan"' in response.content.decode()
    response = staff_client.post(
        url("reply_plan"),
        {
            "expected_state": "accepted",
            "reply_plan-external_works": "false",
            "reply_plan-plan_summary": "低压接入",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.INSTALLING
    response = staff_client.post(
        url("connect"), {"expected_state": "installing", "connect-meter_number": "M-77"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.CONNECTED and application.meter_number == "M-77"


def test_someone_else_moved_the_case_first_is_a_409(staff_client, psb_staff):
    application = case_in_state("accepted", staff=psb_staff)
    url = reverse("applications:transition", kwargs={"pk": application.pk, "name": "accept"})
    # The page was loaded while the case was "submitted"; someone accepted it since.
    response = staff_client.post(url, {"expected_state": "submitted"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "该申请已被他人处理" in response.content.decode()
    # Without the hint the service itself refuses from the current state: 409 too.
    response = staff_client.post(url, {})
    assert response.status_code == 409


def test_staff_only_request_a_pause_and_resume(staff_client, psb_staff, client):
    application = case_in_state("accepted", staff=psb_staff)
    pause = reverse("applications:pause", kwargs={"pk": application.pk})
    page = reverse("applications:detail", kwargs={"pk": application.pk})
    response = staff_client.post(pause, {"pause-reason_code": ""})
    assert response.status_code == 400 and "请选择有效的暂停原因" in response.content.decode()
    assert (
        staff_client.post(
            pause, {"pause-reason_code": "customer_delay", "pause-note": "客户要求延期"}
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.paused_at is None  # a request: the clock runs until the customer confirms
    html = staff_client.get(page).content.decode()
    assert "客户要求延期" in html and "待确认" in html and 'id="pause-confirm-' not in html
    assert staff_client.post(pause, {"pause-reason_code": "customer_delay"}).status_code == 409
    client.force_login(application.customer)
    html = client.get(page).content.decode()
    pid = html.split('id="pause-confirm-')[1].split('"')[0]
    confirm = reverse("applications:pause-confirm", kwargs={"pk": application.pk, "pid": int(pid)})
    assert client.post(confirm).status_code == 302
    application.refresh_from_db()
    assert application.paused_at is not None
    assert "恢复计时" in staff_client.get(page).content.decode()
    assert staff_client.post(reverse("applications:resume", kwargs={"pk": application.pk})).status_code == 302
    application.refresh_from_db()
    assert application.paused_at is None


def test_assign_account_manager(staff_client, psb_staff, make_user):
    other = make_user("manager2", roles=["account_manager"], org="psb", real_name="王经理")
    application = case_in_state("submitted", staff=psb_staff)
    url = reverse("applications:assign", kwargs={"pk": application.pk})
    assert staff_client.post(url, {"assign-account_manager": "999999"}).status_code == 400
    assert staff_client.post(url, {"assign-account_manager": str(other.pk)}).status_code == 302
    application.refresh_from_db()
    assert application.account_manager == other
    html = staff_client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert "王经理" in html and "指定客户经理" in html
