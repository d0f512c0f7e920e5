"""The customer's pages through Django's test client: the guided form with live checks, the wallet,
the preview, "My applications", the one-time notice and resubmission, the rating; and who may see what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Application, ApplicationState, Document
from applications.satisfaction import SatisfactionRating
from tests.applications.factories import PDF_BYTES, PNG_BYTES, DocumentFactory, case_in_state, credit_code

pytestmark = pytest.mark.django_db

VALID = {
    "business": "new",
    "voltage": "low",
    "applicant_type": "small_micro",
    "applicant_name": "呼和浩特市青城便利店",
    "id_number": credit_code(7),
    "contact_phone": "13947100007",
    "address": "内蒙古自治区呼和浩特市新城区海拉尔东街7号",
    "capacity_kva": "50",
}


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def test_form_page_is_chinese_with_a_label_on_every_control(signed_in):
    response = signed_in.get(reverse("applications:create"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "在线办电" in html
    assert "用电地址物业权属证明" in html  # materials the case needs, with why
    assert "证明您对用电地址的产权或使用权" in html
    import re

    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    hidden = set(re.findall(r'<input[^>]*type="hidden"[^>]*id="([^"]+)"', html))
    for control_id in ids:
        if control_id in hidden:
            continue
        assert f'for="{control_id}"' in html, f"no label for #{control_id}"


def test_live_check_reports_the_api_message_for_the_field_typed(signed_in):
    data = {**VALID, "id_number": "12345"}
    response = signed_in.post(
        reverse("applications:validate-field"),
        data,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="id_number",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="feedback-id_number"' in html
    assert "text-danger" in html
    ok = signed_in.post(
        reverse("applications:validate-field"),
        {**VALID},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="capacity_kva",
    )
    assert "填写正确" in ok.content.decode()
    too_big = signed_in.post(
        reverse("applications:validate-field"),
        {**VALID, "capacity_kva": "250"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="capacity_kva",
    )
    assert "更大容量请选择高压" in too_big.content.decode()


def test_high_voltage_switch_shows_power_sources_and_five_materials(signed_in):
    response = signed_in.get(
        reverse("applications:create") + "?part=voltage&voltage=high", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "电源数" in html
    assert "用电工程项目批文" in html and "用电容量需求清单" in html
    assert 'hx-swap-oob="true"' in html


def test_apply_with_uploads_preview_and_submit(signed_in, customer):
    files = {
        "file_identity": SimpleUploadedFile("licence.png", PNG_BYTES, content_type="image/png"),
        "file_property": SimpleUploadedFile("deed.pdf", PDF_BYTES, content_type="application/pdf"),
    }
    response = signed_in.post(reverse("applications:create"), {**VALID, **files})
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get(customer=customer)
    assert response["Location"] == reverse("applications:preview", kwargs={"pk": application.pk})
    assert application.documents.count() == 2
    preview = signed_in.get(response["Location"])
    assert preview.status_code == 200
    assert "确认提交申请" in preview.content.decode()
    frame = signed_in.get(reverse("applications:form-frame", kwargs={"pk": application.pk}))
    assert frame.status_code == 200 and frame["X-Frame-Options"] == "SAMEORIGIN"
    done = signed_in.post(
        reverse("applications:transition", kwargs={"pk": application.pk, "name": "submit"}),
        {"expected_state": "draft"},
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk}))
    html = page.content.decode()
    assert application.number in html
    assert "用电申请" in html and "竣工装表" in html
    assert "用电申请一窗受理" in html  # the internal stage beneath, with its promised date
    mine = signed_in.get(reverse("applications:mine"))
    assert application.number in mine.content.decode()


def test_invalid_form_keeps_values_and_stores_no_file(signed_in, customer):
    files = {"file_identity": SimpleUploadedFile("licence.png", PNG_BYTES, content_type="image/png")}
    response = signed_in.post(reverse("applications:create"), {**VALID, "contact_phone": "123", **files})
    assert response.status_code == 400
    html = response.content.decode()
    assert VALID["applicant_name"] in html
    assert Document.objects.filter(owner=customer).count() == 0
    assert Application.objects.count() == 0


def test_wallet_document_is_reused_by_default(signed_in, customer):
    identity = DocumentFactory(owner=customer, kind="identity")
    prop = DocumentFactory(owner=customer, kind="property")
    response = signed_in.get(reverse("applications:create"))
    html = response.content.decode()
    assert f'<option value="{identity.pk}" selected' in html
    response = signed_in.post(
        reverse("applications:create"),
        {**VALID, "use_identity": identity.pk, "use_property": prop.pk},
    )
    assert response.status_code == 302
    application = Application.objects.get(customer=customer)
    assert set(application.documents.values_list("pk", flat=True)) == {identity.pk, prop.pk}


def test_wallet_upload_checks_content(signed_in, customer):
    bad = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    response = signed_in.post(reverse("applications:wallet"), {"kind": "identity", "file": bad})
    assert response.status_code == 400
    assert "只接受 PDF、JPEG 或 PNG 文件" in response.content.decode()
    good = SimpleUploadedFile("id.png", PNG_BYTES, content_type="image/png")
    response = signed_in.post(
        reverse("applications:wallet"), {"kind": "identity", "file": good, "valid_until": "2030-01-01"}
    )
    assert response.status_code == 302
    page = signed_in.get(reverse("applications:wallet")).content.decode()
    assert "2030-01-01" in page and "有效" in page


def test_returned_case_shows_the_notice_and_resubmits(signed_in, customer):
    application = case_in_state("returned", customer=customer)
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert "一次性告知" in page and "房产证不清晰" in page
    assert 'class="notice-items"' not in page or "用电地址物业权属证明" in page
    assert "补齐资料并重新提交" in page
    upload = SimpleUploadedFile("deed2.png", PNG_BYTES, content_type="image/png")
    response = signed_in.post(
        reverse("applications:supply", kwargs={"pk": application.pk}), {"file_property": upload}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_connected_case_is_rated_once(signed_in, customer):
    application = case_in_state("connected", customer=customer)
    url = reverse("applications:rate", kwargs={"pk": application.pk})
    assert signed_in.post(url, {"rating-score": "9"}).status_code == 400
    assert signed_in.post(url, {"rating-score": "5", "rating-comment": "很快"}).status_code == 302
    rating = SatisfactionRating.objects.get(application=application)
    assert (rating.score, rating.comment) == (5, "很快")
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert "★★★★★" in page
    assert signed_in.post(url, {"rating-score": "4"}).status_code == 400


def test_another_customers_case_is_404_everywhere(client, customer, other_customer):
    application = case_in_state("connected", customer=customer)
    client.force_login(other_customer)
    for name in ("detail", "preview", "edit", "form-frame"):
        assert client.get(reverse(f"applications:{name}", kwargs={"pk": application.pk})).status_code == 404
    for name in ("rate", "supply", "pause", "resume"):
        assert client.post(reverse(f"applications:{name}", kwargs={"pk": application.pk})).status_code == 404
    doc = application.documents.first()
    assert client.get(reverse("applications:document-preview", kwargs={"pk": doc.pk})).status_code == 404


def test_pages_switch_to_english(signed_in, customer, settings):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = signed_in.get(reverse("applications:create")).content.decode()
    assert "Apply online: new connection or capacity increase" in html
    assert "Save and preview the application form" in html
    application = case_in_state("submitted", customer=customer)
    html = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert "Progress" in html and "History" in html and "办理进度" not in html


def test_draft_is_edited_with_the_same_form_then_previewed(signed_in, customer):
    application = case_in_state("draft", customer=customer)
    url = reverse("applications:edit", kwargs={"pk": application.pk})
    page = signed_in.get(url).content.decode()
    assert application.applicant_name in page and 'name="_instance"' in page
    data = {
        **VALID,
        "applicant_name": "改名后的便利店",
        "id_number": application.id_number,
        "address": application.address,
    }
    for doc in application.documents.all():
        data[f"use_{doc.kind}"] = doc.pk
    response = signed_in.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.applicant_name == "改名后的便利店"
    assert application.materials_complete()


def test_customer_withdraws_from_the_case_page(signed_in, customer):
    application = case_in_state("submitted", customer=customer)
    url = reverse("applications:transition", kwargs={"pk": application.pk, "name": "withdraw"})
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    # Behind a confirmation naming the consequence, with the reasons to pick from.
    assert 'class="confirm-danger"' in page and "不能恢复" in page and "暂不需要用电" in page
    response = signed_in.post(
        url, {"expected_state": "submitted", "withdraw-reason_code": "too_slow", "withdraw-note": "等不及"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    assert application.audit_entries.get(transition="withdraw").reason == "办理时间太长：等不及"
    # A customer may not run a staff transition on its own case.
    other = case_in_state("submitted", customer=customer)
    url = reverse("applications:transition", kwargs={"pk": other.pk, "name": "accept"})
    assert signed_in.post(url, {"expected_state": "submitted"}).status_code == 403


@pytest.mark.parametrize(
    ("state", "apply", "install"),
    [
        ("returned", "current", "pending"),
        ("accepted", "current", "pending"),
        ("installing", "done", "current"),
        ("connected", "done", "done"),
    ],
)
def test_the_two_customer_steps(signed_in, customer, state, apply, install):
    application = case_in_state(state, customer=customer)
    html = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert f'class="customer-step step-{apply} mb-2" data-step="apply"' in html
    assert f'class="customer-step step-{install} mb-2" data-step="install"' in html


def test_the_rating_speaks_in_words_and_a_low_one_reaches_the_managers_superior(
    signed_in, customer, make_user
):
    from deadlines.models import Notification

    boss = make_user("psb_boss", roles=["psb_staff", "leader"], org="psb", real_name="王主任")
    manager = make_user("psb_mgr", roles=["psb_staff", "account_manager"], org="psb", reports_to=boss)
    application = case_in_state("connected", customer=customer, staff=manager)
    application.account_manager = manager
    application.save(update_fields=["account_manager"])
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    for label in ("非常满意", "满意", "一般", "不满意", "非常不满意", "办理时间长"):
        assert label in page
    url = reverse("applications:rate", kwargs={"pk": application.pk})
    assert signed_in.post(url, {"rating-score": "2", "rating-tags": ["nonsense"]}).status_code == 400
    response = signed_in.post(
        url, {"rating-score": "2", "rating-tags": ["slow", "trips"], "rating-comment": "跑了三趟"}
    )
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get(application=application)
    assert (rating.score, rating.tags, rating.score_label) == (2, ["slow", "trips"], "不满意")
    note = Notification.objects.get(kind="low_rating")
    assert note.recipient == boss
    assert application.number in note.title and "不满意" in note.title
    assert "办理时间长" in note.body and "跑了三趟" in note.body
    assert note.url == f"/applications/{application.pk}/"
    page = signed_in.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert "不满意" in page and "多次跑腿或重复提交材料" in page


def test_a_good_rating_notifies_nobody(signed_in, customer):
    from deadlines.models import Notification

    application = case_in_state("connected", customer=customer)
    url = reverse("applications:rate", kwargs={"pk": application.pk})
    assert signed_in.post(url, {"rating-score": "4", "rating-tags": ["fast"]}).status_code == 302
    assert not Notification.objects.filter(kind="low_rating").exists()
