"""Duplicates: only submitted, open cases count; a draft blocks nobody else; a double-click (API or page)
and two simultaneous submissions end in the duplicate message, never a 500; house numbers stay apart."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import validation as v
from applications.models import Application, ApplicationState, normalise_address
from tests.applications.factories import ApplicationFactory, DocumentFactory, attach_materials, credit_code

CODE = credit_code(4711)
ADDRESS = "呼和浩特市赛罕区大学东街12-3号"


def payload(**overrides):
    return {
        "business": "new",
        "voltage": "low",
        "applicant_type": "small_micro",
        "applicant_name": "呼和浩特青城商贸有限公司",
        "id_number": CODE,
        "contact_phone": "13947100007",
        "address": ADDRESS,
        "capacity_kva": "80",
        **overrides,
    }


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("大学东街12-3号", "大学东街123号", False),
        ("大学东街12-3号", "大学东街12 - 3号", True),
        ("大学东街12-3号", "大学东街１２－３号", True),
        ("大学东街12号3单元", "大学东街123单元", False),
        ("新城区 新华大街 1号", "新城区新华大街1号", True),
        ("A座1201", "a座 1201", True),
    ],
)
def test_address_key_keeps_house_numbers_apart(one, other, same):
    assert (normalise_address(one) == normalise_address(other)) is same


@pytest.mark.django_db
def test_another_customers_draft_blocks_nothing_and_the_first_submission_wins(
    api_as, customer, other_customer
):
    squatter = api_as(other_customer).post("/api/v1/applications/", payload(), format="json")
    assert squatter.status_code == 201
    mine = api_as(customer).post("/api/v1/applications/", payload(), format="json")
    assert mine.status_code == 201
    attach_materials(Application.objects.get(pk=mine.json()["id"]))
    submitted = api_as(customer).post(
        f"/api/v1/applications/{mine.json()['id']}/transitions/submit/", {}, format="json"
    )
    assert submitted.status_code == 200, submitted.json()
    number = submitted.json()["number"]

    # The squatter's draft cannot be submitted: it learns nothing of the case and is sent to the bureau.
    attach_materials(Application.objects.get(pk=squatter.json()["id"]))
    refused = api_as(other_customer).post(
        f"/api/v1/applications/{squatter.json()['id']}/transitions/submit/", {}, format="json"
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["codes"]["address"] == [v.DUPLICATE_APPLICATION]
    assert "联系供电局" in body["address"][0] and number not in str(body) and "existing" not in body
    assert Application.objects.get(pk=squatter.json()["id"]).state == ApplicationState.DRAFT

    # The owner trying again is told its own case's number.
    again = api_as(customer).post(
        "/api/v1/applications/", payload(address="呼和浩特市赛罕区大学东街12－3号"), format="json"
    )
    assert again.status_code == 400
    assert number in again.json()["address"][0]
    # Another house number is another address.
    assert (
        api_as(customer)
        .post("/api/v1/applications/", payload(address="呼和浩特市赛罕区大学东街123号"), format="json")
        .status_code
        == 201
    )


@pytest.fixture
def _fresh_content_types():
    """Content type ids cached by a transactional test name rows its flush removed (as in test_race)."""
    from django.contrib.contenttypes.models import ContentType

    yield
    ContentType.objects.clear_cache()


def _race(send, workers):
    barrier = threading.Barrier(workers)
    statuses, errors = [], []

    def hit(i):
        try:
            barrier.wait(timeout=10)
            statuses.append(send(i))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return Counter(statuses)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_identical_creations_one_201_the_rest_400(customer, _fresh_content_types):
    key = Token.objects.get_or_create(user=customer)[0].key

    def send(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.post("/api/v1/applications/", payload(), format="json")
        if response.status_code == 400:
            assert response.json()["codes"]["address"] == [v.DUPLICATE_APPLICATION]
        return response.status_code

    assert _race(send, 20) == Counter({201: 1, 400: 19})
    assert Application.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_click_on_the_new_application_page_shows_the_form_with_the_duplicate_message(
    customer, _fresh_content_types
):
    identity = DocumentFactory(owner=customer, kind="identity")
    prop = DocumentFactory(owner=customer, kind="property")
    pages = {}

    def send(i):
        client = Client()
        client.force_login(customer)
        response = client.post(
            "/applications/new/", {**payload(), "use_identity": identity.pk, "use_property": prop.pk}
        )
        pages[i] = response
        return response.status_code

    assert _race(send, 2) == Counter({302: 1, 400: 1})
    refused = next(r for r in pages.values() if r.status_code == 400)
    html = refused.content.decode()
    assert "请勿重复申请" in html and "呼和浩特青城商贸有限公司" in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_customers_submitting_the_same_applicant_at_once_one_wins(
    customer, other_customer, _fresh_content_types
):
    drafts = [
        ApplicationFactory(customer=c, id_number=CODE, address=ADDRESS, with_documents=True)
        for c in (customer, other_customer)
    ]
    keys = [Token.objects.get_or_create(user=d.customer)[0].key for d in drafts]

    def send(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {keys[i]}")
        response = client.post(f"/api/v1/applications/{drafts[i].pk}/transitions/submit/", {}, format="json")
        if response.status_code == 400:
            assert response.json()["codes"]["address"] == [v.DUPLICATE_APPLICATION]
        return response.status_code

    assert _race(send, 2) == Counter({200: 1, 400: 1})
    assert Application.objects.filter(state=ApplicationState.SUBMITTED).count() == 1
