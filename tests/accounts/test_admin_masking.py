"""One rule for the administrator: ID and phone numbers are masked in the admin as in the API, read in
full only through the audited "reveal" action; shared permit documents are the departments' and the
power bureau's, not the administrator's (README, Shared documents)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ApprovalTask
from approvals.services import shared_document_upload
from tests.applications.factories import PDF_BYTES, case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customer):
    return case_in_state("submitted", customer=customer, contact_phone="13947105678")


def test_the_case_change_page_masks_id_and_phone(client, admin_user, case):
    client.force_login(admin_user)
    html = client.get(f"/admin/applications/application/{case.pk}/change/").content.decode()
    assert case.id_number not in html and "13947105678" not in html
    assert case.id_number[:6] in html and "139****5678" in html


def test_reveal_shows_the_numbers_once_and_records_who_looked(client, admin_user, case):
    client.force_login(admin_user)
    response = client.post(
        "/admin/applications/application/",
        {"action": "reveal_personal_data", "_selected_action": [case.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200 and case.id_number in html and "13947105678" in html
    assert "no-store" in response["Cache-Control"]
    entry = LogEntry.objects.get(object_id=str(case.pk), user=admin_user)
    assert "查看了完整证件号码和电话" in entry.get_change_message()
    history = client.get(f"/admin/applications/application/{case.pk}/history/").content.decode()
    assert "查看了完整证件号码和电话" in history


def test_the_user_form_never_shows_the_phone_and_keeps_it_when_left_blank(client, admin_user, customer):
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{customer.pk}/change/"
    html = client.get(url).content.decode()
    assert customer.phone not in html and "139****5678" in html
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
    data.update(
        username=customer.username,
        phone="",
        date_joined_0="2026-01-01",
        date_joined_1="09:00:00",
        roles=[r.pk for r in customer.roles.all()],
        is_active="on",
    )
    data.pop("password", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "13912345678"
    data["phone"] = "13800001111"
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "13800001111"
    revealed = client.post(
        "/admin/accounts/user/", {"action": "reveal_phone", "_selected_action": [customer.pk]}
    )
    assert "13800001111" in revealed.content.decode()


def test_shared_permit_documents_are_not_the_administrators(client, admin_user, psb_staff):
    case = case_in_state("approving", road_excavation=True, staff=psb_staff)
    task = ApprovalTask.objects.filter(application=case).first()
    doc = shared_document_upload(
        task_id=task.pk,
        actor=psb_staff,
        kind="design_drawing",
        title="外线路径图",
        file=SimpleUploadedFile("d.pdf", PDF_BYTES),
    )
    client.force_login(psb_staff)
    assert client.get(f"/approvals/documents/{doc.pk}/").status_code == 200
    client.force_login(admin_user)
    assert client.get(f"/approvals/documents/{doc.pk}/").status_code == 404
    assert client.get(f"/approvals/tasks/{task.pk}/").status_code in (200, 404)
