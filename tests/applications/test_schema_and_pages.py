"""The OpenAPI schema of the applications API (no warnings), the offline docs page, the printable form."""

import re

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


def test_the_applications_schema_generates_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("applications.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    paths = schema["paths"]
    assert {
        "/api/v1/applications/",
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/transitions/{name}/",
        "/api/v1/applications/{id}/pause/",
        "/api/v1/applications/{id}/resume/",
        "/api/v1/documents/",
        "/api/v1/documents/{id}/file/",
    } <= set(paths)
    names = {p["name"] for p in paths["/api/v1/applications/"]["get"]["parameters"]}
    assert {
        "state",
        "level",
        "voltage",
        "account_manager",
        "submitted_after",
        "due_before",
        "ordering",
        "page",
        "page_size",
    } <= names
    detail = schema["components"]["schemas"]["ApplicationDetail"]["properties"]
    assert {"number", "state", "available_transitions", "stages", "timeline"} <= set(detail)


def test_the_docs_page_works_without_internet(client, customer):
    client.force_login(customer)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    external = [u for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', html) if "testserver" not in u]
    assert external == []
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/applications/{id}/transitions/{name}/" in schema.content


def test_the_application_form_is_generated_from_the_application(client, customer, psb_staff, supervisor):
    application = case_in_state("submitted", customer=customer, staff=psb_staff, applicant_name="青城商店")
    url = f"/applications/{application.pk}/form/"
    client.force_login(customer)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "用电申请书" in html and "青城商店" in html and application.number in html
    assert application.id_number in html and application.contact_phone in html
    assert "客户投资0元" in html  # LV small/micro: zero investment
    assert "用电地址物业权属证明" in html
    client.force_login(supervisor)
    masked = client.get(url).content.decode()
    assert application.id_number not in masked and application.contact_phone not in masked
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
