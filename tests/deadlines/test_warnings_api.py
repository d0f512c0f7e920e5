"""GET /api/v1/warnings/: what each organisation may see, filters, constant queries."""

from datetime import date

import pytest

from deadlines.clocks import clock_start
from deadlines.passes import run_pass

from .conftest import LV_EXTERNAL_ROAD, sh

pytestmark = pytest.mark.django_db
URL = "/api/v1/warnings/"


@pytest.fixture
def warned(make_user):
    """Three cases, each with one overdue stage: design (市自然资源局 coordinates), construction
    (市发展改革委 coordinates) and road_permit (市城管执法局 responsible)."""
    subjects = [make_user(f"case{i}") for i in range(3)]
    for subject, stage in zip(subjects, ["design", "construction", "road_permit"], strict=True):
        clock_start(
            subject=subject,
            stage=stage,
            facts=LV_EXTERNAL_ROAD,
            policy_date=date(2025, 3, 3),
            at=sh(2025, 3, 3, 10),
        )
    run_pass(at=sh(2025, 3, 24))  # design (12) overdue, construction (10) and road_permit (8) escalated
    return subjects


def _stages(response):
    assert response.status_code == 200, response.content
    return sorted(w["stage"] for w in response.json()["results"])


def test_each_organisation_sees_its_own(api_as, make_user, warned, psb_staff, supervisor):
    assert _stages(api_as(psb_staff).get(URL)) == ["construction", "design"]
    assert _stages(api_as(supervisor).get(URL)) == ["construction", "design", "road_permit"]  # 市工信局 leads
    fgw = make_user("fgw_x", roles=["supervisor"], org="fgw")
    assert _stages(api_as(fgw).get(URL)) == ["construction"]
    zrzy = make_user("zrzy_x", roles=["reviewer"], org="zrzy")
    assert _stages(api_as(zrzy).get(URL)) == ["design"]
    # A sub-unit's reviewer belongs to its organisation's family only, not upwards.
    gxj_sub = make_user("cgzf_sub", roles=["reviewer"], org="cgzf_gxj")
    assert _stages(api_as(gxj_sub).get(URL)) == []
    cgzf = make_user("cgzf_x", roles=["reviewer"], org="cgzf")
    assert _stages(api_as(cgzf).get(URL)) == ["road_permit"]


def test_customers_and_anonymous_are_refused(api_as, api_client, customer, warned):
    assert api_as(customer).get(URL).status_code == 403
    assert api_client.get(URL).status_code == 401


def test_fields_and_filters(api_as, supervisor, warned):
    client = api_as(supervisor)
    body = client.get(URL, {"stage": "design"}).json()
    (row,) = body["results"]
    assert row["level"] == "overdue" and row["level_label"] == "超期"
    assert row["due_at"].startswith("2025-03-20T00:00:00+08:00")  # 24:00 on 19 March
    assert row["raised_at"].startswith("2025-03-24T00:00:00+08:00")
    assert row["responsible_org"] == "市供电局" and row["coordinating_org"] == "市自然资源局"
    assert row["subject_id"] == warned[0].pk and row["provisional"] is False and row["clock_open"] is True
    assert {"application", "stage", "level", "raised_at", "due_at"} <= row.keys()
    assert _stages(client.get(URL, {"level": "escalated"})) == ["construction", "road_permit"]
    assert _stages(client.get(URL, {"application": warned[1].pk})) == ["construction"]
    assert _stages(client.get(URL, {"open": "false"})) == []


def test_the_list_costs_the_same_queries_for_more_rows(
    api_as, supervisor, warned, make_user, django_assert_max_num_queries
):
    client = api_as(supervisor)
    client.get(URL)  # warm caches (content types, token)
    with django_assert_max_num_queries(8) as few:
        client.get(URL)
    more = [make_user(f"more{i}") for i in range(5)]
    for subject in more:
        clock_start(
            subject=subject,
            stage="design",
            facts=LV_EXTERNAL_ROAD,
            policy_date=date(2025, 3, 3),
            at=sh(2025, 3, 3, 10),
        )
    run_pass(at=sh(2025, 3, 24))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 8


def test_labels_in_english_on_request(api_as, supervisor, warned):
    body = api_as(supervisor).get(URL, {"stage": "design"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["results"][0]["level_label"] == "Overdue"
    assert body["results"][0]["stage_label"] == "Route and external-line design"
