"""Credit records 信用档案: late stages and hand-made records, per organisation and per applicant, and the
信用修复 correction path that keeps the history."""

from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from deadlines.models import CreditRecord
from supervision import services
from tests.supervision.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_late_stages_are_listed_per_organisation(client, dataset, gxj):
    client.force_login(gxj)
    index = client.get("/supervision/credit/")
    psb = next(r for r in index.context["organisations"] if r["organisation__code"] == "psb")
    assert (psb["total"], psb["active"], psb["corrected"], psb["days_late"]) == (3, 3, 0, 2 + 1 + 1)
    page = client.get("/supervision/credit/organisations/psb/")
    records = page.context["records"]
    assert {(r.kind, r.case_number) for r in records} == {
        ("late_finish", dataset.B.number),
        ("overall_late", dataset.B.number),
        ("late_finish", dataset.D.number),
    }
    wb = load_workbook(
        BytesIO(client.get("/supervision/credit/organisations/psb/", {"export": "xlsx"}).content)
    )
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("记录号", "类别", "状态", "单位") and len(rows) == 4


def test_hand_made_record_against_an_applicant_and_its_repair(client, dataset, gxj):
    client.force_login(gxj)
    response = client.post(
        "/supervision/credit/add/",
        {
            "kind": "false_materials",
            "application_number": dataset.A.number,
            "evidence": "产权证明系伪造，经不动产登记中心核实。",
        },
    )
    record = CreditRecord.objects.get(kind="false_materials")
    assert response["Location"] == f"/supervision/credit/applicants/{dataset.customer.pk}/"
    assert (record.applicant, record.applicant_name, record.recorded_by) == (
        dataset.customer,
        dataset.A.applicant_name,
        gxj,
    )
    page = client.get(f"/supervision/credit/applicants/{dataset.customer.pk}/")
    assert [r.pk for r in page.context["records"]] == [record.pk]
    client.post(
        f"/supervision/credit/records/{record.pk}/repair/", {"reason": "复核确认系登记机关笔误，材料真实。"}
    )
    record.refresh_from_db()
    assert record.state == "corrected" and record.correction_reason == "复核确认系登记机关笔误，材料真实。"
    assert [(e.kind, e.state_before, e.state_after) for e in record.supervision_events.all()] == [
        ("added", "", "active"),
        ("corrected", "active", "corrected"),
    ]
    # Still listed, marked corrected; a second repair is refused.
    page = client.get(f"/supervision/credit/applicants/{dataset.customer.pk}/")
    assert "已更正" in page.content.decode() and "产权证明系伪造" in page.content.decode()
    with pytest.raises(ValidationError):
        services.credit_record_repair(record_id=record.pk, actor=gxj, reason="again")


def test_hand_made_record_against_a_unit_needs_evidence(dataset, gxj, psb_worker):
    from accounts.models import Organisation

    cgzf = Organisation.objects.get(code="cgzf")
    with pytest.raises(ValidationError):
        services.credit_record_add(actor=gxj, kind="broken_promise", evidence=" ", organisation_id=cgzf.pk)
    with pytest.raises(PermissionDenied):
        services.credit_record_add(
            actor=psb_worker, kind="broken_promise", evidence="x", organisation_id=cgzf.pk
        )
    record = services.credit_record_add(
        actor=gxj, kind="broken_promise", evidence="承诺现场踏勘未到场。", organisation_id=cgzf.pk
    )
    assert record.organisation == cgzf and record.applicant is None


def test_who_reads_credit_records(client, dataset, psb_worker, make_user):
    client.force_login(psb_worker)
    assert client.get("/supervision/credit/").status_code == 403
    assert client.get("/supervision/credit/organisations/psb/").status_code == 200  # its own page
    assert client.get("/supervision/credit/organisations/cgzf/").status_code == 404
    assert client.get(f"/supervision/credit/applicants/{dataset.customer.pk}/").status_code == 403
    record = CreditRecord.objects.filter(organisation__code="psb").first()
    assert (
        client.post(f"/supervision/credit/records/{record.pk}/repair/", {"reason": "自行修复"}).status_code
        == 403
    )
    record.refresh_from_db()
    assert record.state == "active"
