"""Each customer's wallet has a quota (policy data: files and bytes); a document no application uses can
be deleted from the wallet page, which frees room; one in use cannot."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications import validation as v
from applications.models import Document, PolicyParameter
from tests.applications.factories import PNG_BYTES, case_in_state

pytestmark = pytest.mark.django_db


def _file(n=0):
    return SimpleUploadedFile(f"id{n}.png", PNG_BYTES, content_type="image/png")


def _quota(files=None, size=None):
    for code, value in (("upload_quota_files", files), ("upload_quota_bytes", size)):
        if value is not None:
            PolicyParameter.objects.create(code=code, effective_from=date(2025, 1, 1), value=Decimal(value))


def test_the_default_quota_is_200_mb_and_100_files():
    assert v.policy_parameter("upload_quota_bytes") == 200 * 1024 * 1024
    assert v.policy_parameter("upload_quota_files") == 100


def test_the_file_quota(client, customer, other_customer):
    _quota(files=2)
    client.force_login(customer)
    for i in range(2):
        assert (
            client.post(reverse("applications:wallet"), {"kind": "identity", "file": _file(i)}).status_code
            == 302
        )
    full = client.post(reverse("applications:wallet"), {"kind": "identity", "file": _file(3)})
    assert full.status_code == 400 and "资料库已满" in full.content.decode()
    assert Document.objects.filter(owner=customer).count() == 2
    # Another customer's wallet is its own.
    services.document_upload(owner=other_customer, kind="identity", file=_file())


def test_the_size_quota(customer):
    _quota(size=len(PNG_BYTES) * 2)
    services.document_upload(owner=customer, kind="identity", file=_file())
    services.document_upload(owner=customer, kind="property", file=_file())
    with pytest.raises(ValidationError) as caught:
        services.document_upload(owner=customer, kind="identity", file=_file())
    assert caught.value.error_dict["file"][0].code == v.UPLOAD_QUOTA_EXCEEDED


def test_deleting_an_unused_document_frees_room(
    client, customer, other_customer, django_capture_on_commit_callbacks
):
    _quota(files=1)
    unused = services.document_upload(owner=customer, kind="identity", file=_file())
    stored = unused.file.path
    client.force_login(customer)
    page = client.get(reverse("applications:wallet")).content.decode()
    assert reverse("applications:wallet-delete", args=[unused.pk]) in page
    client.force_login(other_customer)
    assert client.post(reverse("applications:wallet-delete", args=[unused.pk])).status_code == 404
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:wallet-delete", args=[unused.pk]), follow=True)
    assert "资料已删除" in response.content.decode()
    assert not Document.objects.filter(pk=unused.pk).exists()
    assert not Path(stored).exists()
    assert (
        client.post(reverse("applications:wallet"), {"kind": "identity", "file": _file()}).status_code == 302
    )


def test_a_document_in_use_cannot_be_deleted(client, customer):
    case = case_in_state("submitted", customer=customer)
    used = case.documents.first()
    client.force_login(customer)
    assert (
        reverse("applications:wallet-delete", args=[used.pk])
        not in client.get(reverse("applications:wallet")).content.decode()
    )
    response = client.post(reverse("applications:wallet-delete", args=[used.pk]), follow=True)
    assert "已用于申请，不能删除" in response.content.decode()
    assert Document.objects.filter(pk=used.pk).exists()
