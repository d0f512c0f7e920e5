"""The document wallet: uploads checked by content and size, stored privately, served only to who may see."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import validation as v
from applications.models import Document
from tests.applications.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, DocumentFactory

pytestmark = pytest.mark.django_db


def _upload(client, *, kind="identity", content=PNG_BYTES, name="身份证.png", valid_until=None):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content)}
    if valid_until:
        data["valid_until"] = valid_until
    return client.post("/api/v1/documents/", data, format="multipart")


@pytest.mark.parametrize(
    "content, content_type",
    [(PDF_BYTES, "application/pdf"), (JPEG_BYTES, "image/jpeg"), (PNG_BYTES, "image/png")],
)
def test_pdf_jpeg_and_png_are_accepted_and_stored_under_server_generated_names(
    api_as, customer, settings, content, content_type
):
    response = _upload(api_as(customer), content=content, name="../../etc/passwd 我的证件.exe")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == content_type and body["size"] == len(content)
    doc = Document.objects.get(pk=body["id"])
    stored = Path(doc.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "passwd" not in stored.name and "证件" not in stored.name and not stored.name.endswith(".exe")
    assert stored.read_bytes() == content
    assert doc.owner == customer and doc.original_name.endswith("我的证件.exe")


def test_content_decides_not_the_name(api_as, customer):
    response = _upload(api_as(customer), content=b"MZ\x90\x00 this is a program", name="licence.pdf")
    assert response.status_code == 400
    assert response.json()["codes"]["file"] == [v.FILE_TYPE]
    assert not Document.objects.exists()


def test_files_over_ten_megabytes_are_refused(api_as, customer):
    big = PDF_BYTES + b"0" * (10 * 1024 * 1024)
    response = _upload(api_as(customer), content=big, name="big.pdf")
    assert response.status_code == 400
    assert response.json()["codes"]["file"] == [v.FILE_TOO_LARGE]
    assert not Document.objects.exists()


def test_the_application_form_is_never_uploaded(api_as, customer):
    response = _upload(api_as(customer), kind="application_form")
    assert response.status_code == 400
    assert response.json()["codes"]["kind"] == [v.DOCUMENT_KIND_GENERATED]


def test_an_already_expired_document_is_refused_at_upload(api_as, customer):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = _upload(api_as(customer), valid_until=yesterday)
    assert response.status_code == 400
    assert response.json()["codes"]["valid_until"] == [v.VALID_UNTIL_PAST]


def test_unknown_kind_and_missing_file_are_each_reported(api_as, customer):
    response = api_as(customer).post("/api/v1/documents/", {"kind": "passport"}, format="multipart")
    assert response.status_code == 400
    codes = response.json()["codes"]
    assert codes["kind"] == [v.INVALID_CHOICE] and codes["file"] == [v.FILE_REQUIRED]


def test_staff_do_not_upload_to_a_wallet(api_as, psb_staff):
    assert _upload(api_as(psb_staff)).status_code == 403


def test_wallet_lists_only_ones_own_documents(api_as, customer, other_customer):
    mine = DocumentFactory(owner=customer)
    DocumentFactory(owner=other_customer)
    response = api_as(customer).get("/api/v1/documents/")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()["results"]] == [mine.pk]


def test_files_are_served_to_the_owner_only(api_as, customer, other_customer, psb_staff, client):
    doc = DocumentFactory(owner=customer)
    url = f"/api/v1/documents/{doc.pk}/file/"
    response = api_as(customer).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    # Another customer, and staff with no case using it: as if it did not exist.
    assert api_as(other_customer).get(url).status_code == 404
    assert api_as(psb_staff).get(url).status_code == 404
    assert api_as(other_customer).get(f"/api/v1/documents/{doc.pk}/").status_code == 404
    # Pages: the same rule, and nothing at a public media URL.
    client.force_login(other_customer)
    assert client.get(f"/applications/documents/{doc.pk}/file/").status_code == 404
    assert client.get(f"/media/{doc.file.name}").status_code == 404
    client.force_login(customer)
    assert client.get(f"/applications/documents/{doc.pk}/file/").status_code == 200


def test_anonymous_users_get_nothing(api_client, customer):
    doc = DocumentFactory(owner=customer)
    assert api_client.get(f"/api/v1/documents/{doc.pk}/file/").status_code == 401
    assert api_client.get("/api/v1/documents/").status_code == 401


def test_an_upload_whose_row_cannot_be_saved_leaves_no_file(customer):
    from django.db import IntegrityError, transaction

    from hhht_power.media import save_with_file

    # A size the column refuses (it holds no negative number): the file is stored first, then the row fails.
    doc = Document(owner=customer, kind="identity", content_type="application/pdf", size=-1, sha256="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        save_with_file(doc, SimpleUploadedFile("id.pdf", PDF_BYTES))
    assert not Document.objects.exists()
    assert [p for p in Path(doc.file.storage.location).rglob("*") if p.is_file()] == []
