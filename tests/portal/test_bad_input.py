"""Bad input on the pages gets the page with a message or a 400, never a 500: NUL bytes in query strings
and form fields, months out of range, a non-numeric case id, and a bounded fuzz of every page form."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.applications.factories import case_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def _as(user):
        client.raise_request_exception = False
        client.force_login(user)
        return client

    return _as


@pytest.mark.parametrize(
    "url",
    [
        "/applications/queue/?q=%00",
        "/applications/queue/?q=abc%00def&state=%00",
        "/applications/queue/?level=%00&page=%00",
    ],
)
def test_nul_in_the_queues_query_string(as_user, psb_staff, url):
    response = as_user(psb_staff).get(url)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/supervision/?from=9999-12",
        "/supervision/?from=0001-01&to=9999-12",
        "/supervision/?to=0001-01",
        "/supervision/report/?month=0001-01",
        "/supervision/report/?month=9999-12",
        "/supervision/cases/?from=9999-12&fig=state&state=connected",
        "/supervision/?from=%00",
    ],
)
def test_months_out_of_range(as_user, supervisor, url):
    response = as_user(supervisor).get(url)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert "2000 年至 2099 年" in response.content.decode() or "%00" in url


def test_the_field_check_with_a_case_id_that_is_no_number(as_user, customer):
    response = as_user(customer).post(
        reverse("applications:validate-field"),
        {"_instance": "abc", "_field": "applicant_name", "applicant_name": "x"},
    )
    assert response.status_code == 200


def test_nul_in_the_application_form(as_user, customer):
    response = as_user(customer).post(
        reverse("applications:create"),
        {
            "business": "new",
            "voltage": "low",
            "applicant_type": "small_micro",
            "applicant_name": "青城\x00商贸",
            "id_number": "9115\x00",
            "contact_phone": "13947100007",
            "address": "呼和浩特市\x00",
            "capacity_kva": "80\x00",
        },
    )
    assert response.status_code == 400


# A bounded fuzz: every page form's query string and fields get NUL bytes, overlong text, wrong types and
# dates out of range; every answer is a page (2xx/3xx) or a 4xx, never a 500.
HOSTILE = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda t: t + "\x00"),
    st.just("x" * 5000),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(
        ["0001-01", "9999-12", "9999-12-31", "0000-00", "2026-13", "-1", "1e309", "NaN", "[]", "{}"]
    ),
    st.dates().map(lambda d: d.isoformat()),
)

GET_PAGES = {
    "staff": [
        ("/applications/queue/", ["q", "state", "stage", "level", "voltage", "manager", "mine", "page"]),
        ("/approvals/", ["state", "kind", "level", "q", "page"]),
        ("/deadlines/inbox/", ["unread", "page"]),
    ],
    "customer": [
        ("/applications/mine/", ["page"]),
        ("/applications/wallet/", ["page"]),
        ("/applications/new/", ["voltage", "part"]),
    ],
    "supervisor": [
        ("/supervision/", ["from", "to", "category", "org", "export"]),
        ("/supervision/cases/", ["from", "to", "fig", "stage", "level", "cat", "state", "org", "page"]),
        ("/supervision/report/", ["month", "category", "org"]),
        ("/supervision/orders/", ["state", "page"]),
    ],
}
POST_FORMS = {
    "customer": [
        (
            "/applications/new/",
            [
                "business",
                "voltage",
                "power_sources",
                "applicant_type",
                "applicant_name",
                "id_number",
                "contact_phone",
                "address",
                "capacity_kva",
                "use_identity",
                "use_property",
            ],
        ),
        ("/applications/new/check/", ["_field", "_instance", "applicant_name", "id_number", "capacity_kva"]),
        ("/applications/wallet/", ["kind", "valid_until"]),
        ("/deadlines/inbox/read/", ["all", "id", "open"]),
    ],
    "supervisor": [
        ("/supervision/credit/add/", ["kind", "organisation", "application_number", "evidence"]),
    ],
}
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def users(customer, psb_staff, supervisor):
    return {"customer": customer, "staff": psb_staff, "supervisor": supervisor}


def _check(response, method, url, data):
    assert response.status_code < 500, (method, url, data, response.status_code)


@pytest.mark.parametrize(
    ("role", "url", "names"), [(r, u, n) for r, pages in GET_PAGES.items() for u, n in pages]
)
def test_fuzz_query_strings(client, users, role, url, names):
    client.raise_request_exception = False
    client.force_login(users[role])

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=len(names)))
    def run(params):
        _check(client.get(url, params), "GET", url, params)

    run()


def _fuzz_posts(client, url, names):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), HOSTILE, min_size=1, max_size=len(names)))
    def run(data):
        _check(client.post(url, data), "POST", url, data)

    run()


@pytest.mark.parametrize(
    ("role", "url", "names"), [(r, u, n) for r, forms in POST_FORMS.items() for u, n in forms]
)
def test_fuzz_form_fields(client, users, role, url, names):
    client.raise_request_exception = False
    client.force_login(users[role])
    _fuzz_posts(client, url, names)


def test_fuzz_case_page_forms(client, users):
    """The forms of one case: the transitions, pause, supply and assignment, as the staff and customer."""
    case = case_in_state("submitted", customer=users["customer"], staff=users["staff"])
    client.raise_request_exception = False
    targets = [
        (
            "staff",
            f"/applications/{case.pk}/actions/return_for_materials/",
            ["expected_state", "missing", "note"],
        ),
        ("staff", f"/applications/{case.pk}/actions/terminate/", ["expected_state", "reason"]),
        ("staff", f"/applications/{case.pk}/pause/", ["reason_code", "note", "reason"]),
        ("staff", f"/applications/{case.pk}/assign/", ["manager", "account_manager"]),
        ("customer", f"/applications/{case.pk}/actions/withdraw/", ["expected_state", "reason"]),
    ]
    for role, url, names in targets:
        client.force_login(users[role])
        _fuzz_posts(client, url, names)
