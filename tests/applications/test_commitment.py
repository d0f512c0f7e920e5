"""一证受理 with 告知承诺 (SPEC 2 and 6): a case submitted with the identity proof alone when the customer
signs the generated 承诺书; the promised materials due 5 working days (policy data) after submission, and
before the supply-plan reply (HV) or installation (LV); a missed promise pauses the case with the
one-time notice and is a credit record against the applicant."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from applications.pauses import Pause
from applications.promise_services import promises_check
from applications.promises import Commitment, PromisedMaterial
from deadlines.models import CreditRecord
from tests.applications.factories import ApplicationFactory, DocumentFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args):
    return datetime(*args, tzinfo=SH)


def at(*args):
    return time_machine.travel(sh(*args), tick=False)


def url(application, tail=""):
    return f"/api/v1/applications/{application.pk}/{tail}"


@pytest.fixture
def identity_only(customer):
    """An LV draft with the identity proof only (the property proof missing)."""
    application = ApplicationFactory(customer=customer)
    application.documents.add(DocumentFactory(owner=customer, kind="identity"))
    return application


def _submit(client, application, **data):
    return client.post(url(application, "transitions/submit/"), data, format="json")


def test_without_the_commitment_each_missing_kind_is_named(api_as, identity_only, customer):
    with at(2026, 6, 1, 9):
        answer = _submit(api_as(customer), identity_only)
    assert answer.status_code == 400 and answer.json()["codes"] == {"documents": ["materials_missing"]}
    assert "用电地址物业权属证明" in answer.json()["documents"][0]


def test_the_identity_proof_itself_cannot_be_promised(api_as, customer):
    application = ApplicationFactory(customer=customer)
    with at(2026, 6, 1, 9):
        answer = _submit(api_as(customer), application, commitment=True)
    assert answer.status_code == 400 and answer.json()["codes"]["documents"] == ["identity_required"]
    assert not Commitment.objects.exists()


def test_a_commitment_submission_is_accepted_and_the_promise_met(api_as, identity_only, customer, psb_staff):
    me, staff = api_as(customer), api_as(psb_staff)
    with at(2026, 6, 1, 9):
        body = _submit(me, identity_only, commitment=True).json()
    assert body["state"] == "submitted"
    assert body["promised_materials"] == [
        {"kind": "property", "due_at": "2026-06-09T00:00:00+08:00", "supplied_at": None, "missed_at": None}
    ]  # the end of Monday 8 June, 5 working days after submission
    signed = Commitment.objects.get()
    assert (signed.customer, signed.signed_at, signed.request_address) == (
        customer,
        sh(2026, 6, 1, 9),
        "127.0.0.1",
    )
    assert (
        "用电地址物业权属证明" in signed.text
        and "2026年06月08日24时" in signed.text
        and "信用记录" in signed.text
    )
    with at(2026, 6, 1, 10):
        assert staff.post(url(identity_only, "transitions/accept/"), {}, format="json").status_code == 200
    with at(2026, 6, 2, 9):
        # LV: installation may not start before the promise is kept.
        plan = {"external_works": False, "plan_summary": "低压接入"}
        assert (
            staff.post(url(identity_only, "transitions/reply_plan/"), plan, format="json").status_code == 409
        )
        doc = DocumentFactory(owner=customer, kind="property")
        supplied = me.post(url(identity_only, "promised-materials/"), {"documents": [doc.pk]}, format="json")
        assert supplied.status_code == 200
        assert supplied.json()["promised_materials"][0]["supplied_at"] == "2026-06-02T09:00:00+08:00"
        assert (
            staff.post(url(identity_only, "transitions/reply_plan/"), plan, format="json").status_code == 200
        )
    assert promises_check(at=sh(2026, 6, 10)) == 0
    assert not CreditRecord.objects.filter(kind="broken_promise").exists()


def test_the_commitment_letter_reads_in_the_customers_language(client, identity_only, customer):
    from django.conf import settings

    client.force_login(customer)
    preview = reverse("applications:preview", kwargs={"pk": identity_only.pk})
    with at(2026, 6, 1, 9):
        chinese = client.get(preview).content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(preview).content.decode()
    assert "告知承诺书" in chinese and "2026年06月08日24时" in chinese
    assert "Letter of commitment" in english and "by 24:00 on 2026-06-08" in english
    assert "credit record" in english and "告知承诺书" not in english and "24时" not in english


def test_the_staff_see_the_promise_on_the_case_page(client, api_as, identity_only, customer, psb_staff):
    with at(2026, 6, 1, 9):
        _submit(api_as(customer), identity_only, commitment=True)
        client.force_login(psb_staff)
        html = client.get(reverse("applications:detail", kwargs={"pk": identity_only.pk})).content.decode()
    promised = html.split('id="promised"')[1].split("</section>")[0]
    assert (
        "用电地址物业权属证明" in promised
        and "2026-06-08 24:00" in promised
        or "2026-06-08 24:00" in promised
    )
    assert "待补交" in promised and 'id="supply-promised"' not in promised  # staff do not upload it


def test_a_missed_promise_pauses_the_case_and_is_a_credit_record(client, api_as, identity_only, customer):
    me = api_as(customer)
    with at(2026, 6, 1, 9):
        _submit(me, identity_only, commitment=True)
    assert promises_check(at=sh(2026, 6, 8, 23, 59)) == 0
    assert promises_check(at=sh(2026, 6, 9, 0, 0)) == 1
    assert promises_check(at=sh(2026, 6, 9, 0, 5)) == 0  # idempotent
    identity_only.refresh_from_db()
    assert identity_only.paused_at == sh(2026, 6, 9) and identity_only.notice[0]["kind"] == "property"
    pause = Pause.objects.get(application=identity_only)
    assert (pause.reason.code, pause.state) == ("promise_missed", "active")
    record = CreditRecord.objects.get(kind="broken_promise")
    assert (record.applicant, record.subject_id) == (customer, identity_only.pk)
    with at(2026, 6, 9, 9):
        client.force_login(customer)
        html = client.get(reverse("applications:detail", kwargs={"pk": identity_only.pk})).content.decode()
        assert "承诺不兑现" in html.split('id="my-credit-records"')[1]
        doc = DocumentFactory(owner=customer, kind="property")
        body = me.post(
            url(identity_only, "promised-materials/"), {"documents": [doc.pk]}, format="json"
        ).json()
    assert body["paused"] is False and body["pauses"][0]["state"] == "ended"
    assert PromisedMaterial.objects.get().supplied_at == sh(2026, 6, 9, 9)


def test_for_high_voltage_the_promise_precedes_the_supply_plan(api_as, customer, psb_staff):
    application = ApplicationFactory(customer=customer, high_voltage=True)
    for kind in ("identity", "property", "capacity_list"):
        application.documents.add(DocumentFactory(owner=customer, kind=kind))
    staff = api_as(psb_staff)
    with at(2026, 6, 1, 9):
        assert _submit(api_as(customer), application, commitment=True).status_code == 200
        assert staff.post(url(application, "transitions/accept/"), {}, format="json").status_code == 200
        plan = {"external_works": False, "plan_summary": "10kV 单电源"}
        assert staff.post(url(application, "transitions/reply_plan/"), plan, format="json").status_code == 409
    assert list(PromisedMaterial.objects.values_list("kind", flat=True)) == ["project_approval"]
