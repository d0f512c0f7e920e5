"""Who sees what: each department only its tasks and the shared documents of its cases (every version),
the API's status codes, constant queries on the task list, the OpenAPI schema."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import SharedDocument
from tests.applications.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, case_in_state

from .conftest import push, task_of

pytestmark = pytest.mark.django_db


def listed(client):
    response = client.get("/api/v1/approval-tasks/")
    assert response.status_code == 200
    return sorted((t["application"], t["kind"]) for t in response.json()["results"])


def upload(client, task_id, kind, title, content=PDF_BYTES, name="f.pdf"):
    return client.post(
        f"/api/v1/approval-tasks/{task_id}/documents/",
        {"kind": kind, "title": title, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


@pytest.fixture
def two_cases(psb_staff, window_user):
    road_case = case_in_state("approving", road_excavation=True, staff=psb_staff)
    green_case = case_in_state("approving", green_space=True, staff=psb_staff)
    push(road_case, window_user)
    push(green_case, window_user)
    return road_case, green_case


def test_each_department_sees_only_its_tasks(
    api_as, two_cases, departments, psb_staff, supervisor, fgw_user, customer
):
    road_case, green_case = two_cases
    d = {name: api_as(user) for name, user in departments.items()}
    r, g = road_case.pk, green_case.pk
    assert listed(d["zrzy"]) == sorted([(r, "planning_permit"), (g, "planning_permit")])
    # 市城管执法局: the road permit, and the green permit whose consent its sub-unit 绿地广场景观管理局 gives.
    assert listed(d["cgzf"]) == [(r, "road_permit"), (g, "green_permit")]
    assert listed(d["pipeline"]) == [(r, "road_permit")]
    assert listed(d["zjj"]) == [(r, "road_permit")] and listed(d["jgzd"]) == [(r, "road_permit")]
    assert listed(d["greenery"]) == [(g, "green_permit")]
    assert listed(d["window"]) == sorted([(r, "window_intake"), (g, "window_intake"), (g, "green_permit")])
    everything = sorted(
        [(r, "window_intake"), (g, "window_intake"), (r, "planning_permit"), (g, "planning_permit")]
        + [(r, "road_permit"), (g, "green_permit")]
    )
    assert listed(api_as(supervisor)) == everything  # 市工信局 coordinates every permit
    assert listed(api_as(psb_staff)) == everything
    assert listed(api_as(fgw_user)) == [] and listed(api_as(customer)) == []
    # Out of view is 404, for the task and for its transitions.
    road = task_of(road_case, "road_permit")
    assert d["zrzy"].get(f"/api/v1/approval-tasks/{road.pk}/").status_code == 404
    assert d["greenery"].post(f"/api/v1/approval-tasks/{road.pk}/transitions/grant/").status_code == 404
    assert api_as(customer).get(f"/api/v1/approval-tasks/{road.pk}/").status_code == 404
    # The cases follow: a department sees the cases of its tasks, joint parts included.
    cases = d["zjj"].get("/api/v1/applications/").json()["results"]
    assert [c["id"] for c in cases] == [r]


def test_transition_status_codes(api_as, two_cases, departments, supervisor):
    road_case, _green = two_cases
    road = task_of(road_case, "road_permit")
    cgzf, zjj = api_as(departments["cgzf"]), api_as(departments["zjj"])
    url = f"/api/v1/approval-tasks/{road.pk}/transitions/"
    detail = cgzf.get(f"/api/v1/approval-tasks/{road.pk}/").json()
    assert detail["available_transitions"] == ["start_review", "return_for_correction"]
    assert [p["organisation"]["code"] for p in detail["parts"]] == ["cgzf_gxj", "zjj_szgc", "jgzd"]
    assert detail["clock"]["limit_working_days"] == 8 and detail["clock"]["level"] == "on_time"
    assert zjj.post(url + "start_review/").status_code == 403  # a survey unit, not the department
    assert api_as(supervisor).post(url + "start_review/").status_code == 403
    assert cgzf.post(url + "no_such_thing/").status_code == 404
    assert cgzf.post(url + "grant/").status_code == 409  # not in review yet
    assert cgzf.post(url + "start_review/").status_code == 200
    assert cgzf.post(url + "start_review/").status_code == 409  # the same click twice
    assert cgzf.post(url + "grant/").json()["code"] == "conflict"  # the site survey is not done
    bad = cgzf.post(url + "refuse/", {"reason": ""}, format="json")
    assert bad.status_code == 400 and bad.json()["codes"] == {"reason": ["required"]}
    assert zjj.get(f"/api/v1/approval-tasks/{road.pk}/").json()["available_transitions"] == ["record_part"]


def test_shared_documents_versions_and_who_may_read_them(
    api_as, two_cases, departments, psb_staff, supervisor, customer
):
    road_case, green_case = two_cases
    road, planning = task_of(road_case, "road_permit"), task_of(road_case, "planning_permit")
    staff, cgzf, zrzy = api_as(psb_staff), api_as(departments["cgzf"]), api_as(departments["zrzy"])
    first = upload(staff, planning.pk, "design_drawing", "外线路径图")
    assert first.status_code == 201, first.content
    second = upload(staff, road.pk, "design_drawing", "外线路径图", PNG_BYTES, "v2.png")
    assert second.status_code == 201 and second.json()["version"] == 2
    survey = upload(api_as(departments["jgzd"]), road.pk, "survey_record", "踏勘记录", JPEG_BYTES, "s.jpg")
    assert survey.status_code == 201
    # Checked by content and kind.
    fake = upload(staff, road.pk, "design_drawing", "外线路径图", b"MZ\x90\x00 not a pdf", "x.pdf")
    assert fake.status_code == 400 and fake.json()["codes"]["file"] == ["file_type"]
    assert upload(staff, road.pk, "selfie", "x").json()["codes"]["kind"] == ["invalid_choice"]

    # The old drawing is kept: both versions, newest first, shared with every department of the case.
    readers = {
        "cgzf": cgzf,
        "zrzy": zrzy,
        "zjj": api_as(departments["zjj"]),
        "window": api_as(departments["window"]),
    }
    for name, client in {**readers, "psb": staff}.items():
        through = {"zrzy": planning, "window": task_of(road_case, "window_intake")}.get(name, road)
        docs = client.get(f"/api/v1/approval-tasks/{through.pk}/documents/")
        assert docs.status_code == 200, name
        drawings = [(x["title"], x["version"]) for x in docs.json() if x["kind"] == "design_drawing"]
        assert drawings == [("外线路径图", 2), ("外线路径图", 1)]
    v1 = SharedDocument.objects.get(application=road_case, version=1, kind="design_drawing")
    got = zrzy.get(f"/api/v1/approval-documents/{v1.pk}/file/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF_BYTES
    assert got["Cache-Control"] == "private, no-store"
    # Nobody else: the green case's departments, supervisors, the customer.
    green_only = api_as(departments["greenery"])
    for outsider in (green_only, api_as(supervisor), api_as(customer)):
        assert outsider.get(f"/api/v1/approval-documents/{v1.pk}/file/").status_code == 404
    assert green_only.get(f"/api/v1/approval-tasks/{road.pk}/documents/").status_code == 404
    assert api_as(supervisor).get(f"/api/v1/approval-tasks/{road.pk}/documents/").status_code == 404
    assert api_as(supervisor).get(f"/api/v1/approval-tasks/{road.pk}/").json()["documents"] == []
    green_task = task_of(green_case, "green_permit")
    assert green_only.get(f"/api/v1/approval-tasks/{green_task.pk}/documents/").json() == []
    assert upload(api_as(supervisor), road.pk, "other", "x").status_code == 403
    assert upload(green_only, road.pk, "other", "x").status_code == 404


def test_comments(api_as, two_cases, departments, supervisor):
    road = task_of(two_cases[0], "road_permit")
    cgzf = api_as(departments["cgzf"])
    url = f"/api/v1/approval-tasks/{road.pk}/comments/"
    assert cgzf.post(url, {"text": ""}, format="json").status_code == 400
    assert cgzf.post(url, {"text": "请补充交通组织方案"}, format="json").status_code == 201
    assert api_as(departments["zjj"]).get(url).json()[0]["text"] == "请补充交通组织方案"
    assert api_as(supervisor).post(url, {"text": "督促"}, format="json").status_code == 403
    assert api_as(departments["zrzy"]).get(url).status_code == 404


def test_task_list_queries_stay_constant(
    api_as, psb_staff, window_user, supervisor, django_assert_num_queries
):
    for _ in range(2):
        push(case_in_state("approving", road_excavation=True, green_space=True, staff=psb_staff), window_user)
    client = api_as(supervisor)
    client.get("/api/v1/approval-tasks/")  # warm the token and role caches of the test client
    # token, user and roles, organisation and its sub-units (2), count, page with case, department, clock
    with django_assert_num_queries(5):
        first = client.get("/api/v1/approval-tasks/")
    push(case_in_state("approving", road_excavation=True, green_space=True, staff=psb_staff), window_user)
    with django_assert_num_queries(5):
        second = client.get("/api/v1/approval-tasks/")
    assert first.json()["count"] == 8 and second.json()["count"] == 12


def test_list_filters(api_as, two_cases, window_user):
    client = api_as(window_user)
    body = client.get("/api/v1/approval-tasks/", {"kind": "window_intake"}).json()
    assert body["count"] == 2 and {t["state"] for t in body["results"]} == {"granted"}
    assert client.get("/api/v1/approval-tasks/", {"state": "pending"}).json()["count"] == 1


def test_openapi_schema_has_the_task_endpoints_without_warnings(api_client):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if "approval" in p]
    assert "/api/v1/approval-tasks/{id}/transitions/{name}/" in paths
    assert "/api/v1/approval-documents/{id}/file/" in paths
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
