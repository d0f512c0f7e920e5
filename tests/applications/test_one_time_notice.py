"""一次性告知: a return lists every missing or invalid item at once; the customer fixes them and resubmits;
the acceptance clock starts again and the time spent returned is the customer's."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import validation as v
from applications.models import Document
from deadlines.models import Notification, StageClock
from tests.applications.factories import PDF_BYTES, case_in_state

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=SH), tick=False)


def test_return_resubmit_and_the_customers_time(api_as, customer, psb_staff):
    with at(2026, 6, 1, 9, 0):  # Monday
        application = case_in_state("submitted", customer=customer, staff=psb_staff)
    me, staff = api_as(customer), api_as(psb_staff)
    url = f"/api/v1/applications/{application.pk}"
    overall_due_before = StageClock.objects.get(subject_id=application.pk, stage="overall").due_at
    old_property = application.documents.get(kind="property")

    with at(2026, 6, 1, 14, 0):
        # An empty notice is refused: the list must be complete and given once.
        empty = staff.post(f"{url}/transitions/return_for_materials/", {"missing": []}, format="json")
        assert empty.status_code == 400 and empty.json()["codes"]["missing"] == [v.REQUIRED]
        bad = staff.post(
            f"{url}/transitions/return_for_materials/",
            {"missing": ["application_form", "passport"]},
            format="json",
        )
        assert bad.status_code == 400 and bad.json()["codes"]["missing"] == [
            v.INVALID_CHOICE,
            v.INVALID_CHOICE,
        ]
        body = staff.post(
            f"{url}/transitions/return_for_materials/",
            {
                "missing": [{"kind": "property", "reason": "房产证照片模糊，请重新拍摄"}, "identity"],
                "note": "请一并补齐",
            },
            format="json",
        ).json()
    assert body["state"] == "returned"
    assert body["notice"] == [
        {"kind": "property", "reason": "房产证照片模糊，请重新拍摄"},
        {"kind": "identity", "reason": ""},
    ]
    assert body["documents"] == []  # both returned items are detached
    assert body["paused"] is True
    old_property.refresh_from_db()
    assert old_property.rejected_at is not None and "模糊" in old_property.rejected_reason
    notice = Notification.objects.filter(recipient=customer).latest("id")
    assert "补正" in notice.title and "用电地址物业权属证明：房产证照片模糊" in notice.body
    assert "用电人有效身份证明" in notice.body
    accept = StageClock.objects.get(subject_id=application.pk, stage="accept")
    assert accept.finished_at is not None and not accept.finished_late
    assert StageClock.objects.get(subject_id=application.pk, stage="overall").paused_at is not None
    assert me.get(url + "/").json()["available_transitions"] == ["withdraw"]  # nothing to submit yet

    with at(2026, 6, 4, 10, 0):  # Thursday: the customer fixes everything
        incomplete = me.post(f"{url}/transitions/submit/", {}, format="json")
        assert incomplete.status_code == 400
        assert incomplete.json()["codes"]["documents"] == [v.MATERIALS_MISSING]
        again = me.post(f"{url}/transitions/submit/", {"documents": [old_property.pk]}, format="json")
        assert again.json()["codes"]["documents"] == [v.DOCUMENT_REJECTED]
        new_ids = []
        for kind in ("identity", "property"):
            up = me.post(
                "/api/v1/documents/",
                {"kind": kind, "file": SimpleUploadedFile("x.pdf", PDF_BYTES)},
                format="multipart",
            )
            new_ids.append(up.json()["id"])
        body = me.post(f"{url}/transitions/submit/", {"documents": new_ids}, format="json").json()
    assert body["state"] == "submitted" and body["notice"] == [] and body["paused"] is False
    assert sorted(d["id"] for d in body["documents"]) == sorted(new_ids)
    assert body["number"] == application.number  # the same case, the same number

    accepts = StageClock.objects.filter(subject_id=application.pk, stage="accept").order_by("started_at")
    assert accepts.count() == 2
    assert accepts[1].finished_at is None
    assert accepts[1].due_at == datetime(2026, 6, 6, 0, 0, tzinfo=SH)  # end of Friday: a fresh 1 day
    overall = StageClock.objects.get(subject_id=application.pk, stage="overall")
    assert overall.paused_working_days == 3  # Tue, Wed, Thu: the customer's time
    assert overall.due_at > overall_due_before
    assert [e["transition"] for e in body["timeline"]][-2:] == ["return_for_materials", "submit"]
    assert Document.objects.filter(owner=customer).count() == 4  # the wallet keeps the old ones


def test_only_a_submitted_case_can_be_returned(api_as, psb_staff):
    application = case_in_state("accepted", staff=psb_staff)
    response = api_as(psb_staff).post(
        f"/api/v1/applications/{application.pk}/transitions/return_for_materials/",
        {"missing": ["identity"]},
        format="json",
    )
    assert response.status_code == 409
