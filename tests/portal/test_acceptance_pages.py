"""The case page at acceptance: staff correct the voltage with a reason (400 without one), and the
coordinating supervisor is offered the approval of a second return once the case was returned."""

import pytest
from django.urls import reverse

from applications.models import AuditEntry
from deadlines.models import StageClock
from tests.applications.factories import attach_materials, case_in_state

pytestmark = pytest.mark.django_db


def test_staff_correct_the_case_from_its_page(client, psb_staff):
    application = case_in_state("accepted", staff=psb_staff)
    client.force_login(psb_staff)
    page = reverse("applications:detail", kwargs={"pk": application.pk})
    assert 'id="correct-button"' in client.get(page).content.decode()
    url = reverse("applications:correct", kwargs={"pk": application.pk})
    fields = {"correct-applicant_type": "enterprise", "correct-voltage": "high", "correct-power_sources": "2"}
    response = client.post(url, fields)
    assert response.status_code == 400 and "请填写更正的原因" in response.content.decode()
    assert client.post(url, {**fields, "correct-reason": "双电源专变"}).status_code == 302
    assert StageClock.objects.get(subject_id=application.pk, stage="plan_reply").limit_working_days == 30
    assert AuditEntry.objects.filter(application=application, transition="correct").exists()


def test_the_supervisor_is_offered_the_second_return(client, psb_staff, supervisor):
    application = case_in_state("returned", staff=psb_staff)
    attach_materials(application)
    from applications import services

    services.application_transition(application_id=application.pk, name="submit", actor=application.customer)
    client.force_login(supervisor)
    page = reverse("applications:detail", kwargs={"pk": application.pk})
    assert 'id="approve-return-button"' in client.get(page).content.decode()
    url = reverse("applications:approve-return", kwargs={"pk": application.pk})
    assert client.post(url, {"approve_return-reason": "产权证明须重新提供"}).status_code == 302
    assert 'id="approve-return-button"' not in client.get(page).content.decode()
