"""Documents on S3-compatible object storage (MEDIA_STORAGE=s3), against moto's server: stored as private
objects, downloaded as a redirect to a short-lived signed URL, or streamed by the view when signed URLs
are off; a stranger gets 404 either way."""

import boto3
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from tests.applications.factories import PNG_BYTES
from tests.deploy.stack import free_port

pytestmark = pytest.mark.django_db
BUCKET = "hhht-media-test"


@pytest.fixture
def s3(settings):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"access_key": "test-key", "secret_key": "test-secret"}
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=keys["access_key"],
        aws_secret_access_key=keys["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "file_overwrite": False,
                **keys,
            },
        },
    }
    yield client
    server.stop()


def upload(api, owner):
    got = api(owner).post(
        "/api/v1/documents/",
        {"kind": "identity", "file": SimpleUploadedFile("id.png", PNG_BYTES)},
        format="multipart",
    )
    assert got.status_code == 201, got.content
    return got.json()["id"]


def test_download_is_a_short_lived_signed_url(s3, api_as, customer, other_customer, settings, tmp_path):
    doc = upload(api_as, customer)
    (obj,) = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert not (tmp_path / "media").exists()

    got = api_as(customer).get(f"/api/v1/documents/{doc}/file/")
    assert got.status_code == 302 and got["Cache-Control"] == "private, no-store"
    url = got["Location"]
    assert (
        obj["Key"] in url and "X-Amz-Signature=" in url and f"X-Amz-Expires={settings.S3_URL_SECONDS}" in url
    )
    fetched = requests.get(url, timeout=10)
    assert fetched.content == PNG_BYTES and fetched.headers["Content-Type"] == "image/png"
    assert "inline" in fetched.headers["Content-Disposition"]
    assert api_as(other_customer).get(f"/api/v1/documents/{doc}/file/").status_code == 404


def test_download_streamed_by_the_view_when_signed_urls_are_off(s3, api_as, customer, settings):
    settings.MEDIA_SIGNED_URLS = False
    doc = upload(api_as, customer)
    got = api_as(customer).get(f"/api/v1/documents/{doc}/file/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG_BYTES
    assert got["Content-Type"] == "image/png"
