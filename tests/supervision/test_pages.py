"""The dashboard, drill-down, report and exports as a supervisor sees them; visibility by role."""

from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from supervision.summary import figures_refresh
from tests.supervision.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_lead_sees_every_stage_others_only_what_they_coordinate(client, dataset, gxj, fgw, zrzy_sup):
    lead = _get(client, gxj, "/supervision/", **PERIOD)
    assert lead.status_code == 200
    assert lead.context["scope"].is_lead
    assert lead.context["figures"]["states"]["total"] == 7
    fgw_page = _get(client, fgw, "/supervision/", **PERIOD)
    f = fgw_page.context["figures"]
    assert not fgw_page.context["scope"].is_lead
    assert f["states"]["total"] == 1 and f["states"]["constructing"] == 1  # C, the only construction
    assert [r["stage"] for r in f["open_stages"]] == ["construction"]
    assert f["level_counts"] == {"escalated": 1, "overdue": 0, "warning": 0}
    assert f["durations"]["rows"] == []
    z = _get(client, zrzy_sup, "/supervision/", **PERIOD).context["figures"]
    assert [r["stage"] for r in z["durations"]["rows"]] == ["design"]
    assert z["level_counts"] == {"escalated": 0, "overdue": 0, "warning": 0}


def test_non_supervisors_are_refused(client, dataset, psb_worker):
    assert client.get("/supervision/").status_code == 302  # sign in first
    assert _get(client, dataset.customer, "/supervision/").status_code == 403
    assert _get(client, psb_worker, "/supervision/").status_code == 403
    assert _get(client, psb_worker, "/supervision/cases/", fig="state").status_code == 403
    assert _get(client, psb_worker, "/supervision/report/").status_code == 403


def test_dashboard_page_renders_tables_charts_and_drill_links(client, dataset, gxj):
    response = _get(client, gxj, "/supervision/", **PERIOD)
    html = response.content.decode()
    assert "/static/vendor/chart.js/dist/chart.umd.min.js" in html
    assert 'id="chart-data"' in html and 'id="table-trend"' in html
    assert "fig=state&amp;state=connected" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


# ... including the 超期风险 list (its rows; its cases and orders only when there are rows), the pause
# figures (per unit, and the pauses asked for near a deadline) and the cases per district.
DASHBOARD_QUERIES = 35


def test_dashboard_query_count_does_not_grow_with_cases(client, dataset, gxj, django_assert_num_queries):
    from tests.supervision.conftest import _case, _run, sh

    client.force_login(gxj)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get("/supervision/", PERIOD)
    for n in range(20, 30):
        app = _case(n, dataset.customer, state="submitted", submitted=sh(2026, 10, 12, 9))
        _run(app, [("overall", None, sh(2026, 10, 12, 9)), ("start", "accept", sh(2026, 10, 12, 9))])
    figures_refresh()
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get("/supervision/", PERIOD)
    assert response.context["figures"]["states"]["total"] == 17


def test_drill_down_page_lists_the_cases(client, dataset, gxj, fgw):
    response = _get(client, gxj, "/supervision/cases/", fig="commitment", broken="1", **PERIOD)
    assert response.status_code == 200
    assert [a.number for a in response.context["page"]] == [dataset.B.number]
    html = response.content.decode()
    assert dataset.B.number in html and dataset.A.number not in html
    # Outside one's scope the case is not behind any figure.
    response = _get(client, fgw, "/supervision/cases/", fig="commitment", broken="1", **PERIOD)
    assert list(response.context["page"]) == []


def test_drill_down_export(client, dataset, gxj):
    response = _get(
        client, gxj, "/supervision/cases/", fig="state", state="connected", export="xlsx", **PERIOD
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(response.content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("申请编号", "申请人", "办电类别")
    assert "全流程用时（工作日）" in rows[0]
    col = rows[0].index("全流程用时（工作日）")
    by_number = {r[0]: r for r in rows[1:]}
    assert set(by_number) == {dataset.A.number, dataset.B.number, dataset.D.number}
    assert by_number[dataset.B.number][col] == 6
    assert by_number[dataset.B.number][2] == "低压无外线工程"
    assert by_number[dataset.D.number][col] == 20


def test_dashboard_export_has_every_list(client, dataset, gxj):
    response = _get(client, gxj, "/supervision/", export="xlsx", **PERIOD)
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == [
        "按状态统计",
        "在办环节",
        "督办清单",
        "超期清单",
        "预警清单",
        "全流程超期风险",
        "环节用时",
        "责任单位按时率",
        "暂停计时（按责任单位）",
        "到期前最后一个工作日内申请的暂停",
        "承诺兑现",
        "月度趋势",
        "获得电力指标",
        "满意度",
        "未办结督办单",
    ]
    escalated = list(wb["督办清单"].iter_rows(values_only=True))
    assert escalated[0][0] == "申请编号" and "超期工作日" in escalated[0]
    assert escalated[1][0] == dataset.C.number and escalated[1][escalated[0].index("超期工作日")] == 5
    orgs = {r[0]: r for r in wb["责任单位按时率"].iter_rows(values_only=True)}
    assert orgs["市供电局"][1:4] == (13, 11, 2) and orgs["市供电局"][4] == pytest.approx(84.6)
    durations = list(wb["环节用时"].iter_rows(values_only=True))
    plan = next(r for r in durations if r[0] == "供电方案答复")
    assert plan[1:4] == (4, 4.2, 9.7) or plan[1:4] == (4, 4.3, 9.7)
    trend = {r[0]: r for r in wb["月度趋势"].iter_rows(values_only=True)}
    assert trend["2026-09"][1:4] == (5, 1, 4)


def test_monthly_report_page_and_export(client, dataset, gxj):
    response = _get(client, gxj, "/supervision/report/", month="2026-10")
    assert response.status_code == 200
    c = response.context["figures"]["indicators"]["commitments"]
    assert (c["n"], c["mean"], c["broken"]) == (1, 6.0, 1)  # B, connected 9 Oct
    assert "data-print" in response.content.decode()
    export = _get(client, gxj, "/supervision/report/", month="2026-10", export="xlsx")
    wb = load_workbook(BytesIO(export.content))
    commitments = list(wb["承诺兑现"].iter_rows(values_only=True))
    assert commitments[0] == ("办电类别", "承诺（工作日）", "送电件数", "平均工作日", "超出承诺件数")
    assert ("低压无外线工程", 5, 1, 6, 1) in commitments


def test_filter_periods_are_whole_months(client, dataset, gxj):
    response = _get(
        client, gxj, "/supervision/", **{"from": "2026-09", "to": "2026-09", "category": "lv_plain"}
    )
    f = response.context["f"]
    assert (str(f.date_from), str(f.date_to), f.category) == ("2026-09-01", "2026-09-30", "lv_plain")
    assert response.context["figures"]["states"]["total"] == 2  # A and B, submitted in September
    assert 'value="2026-09"' in response.content.decode()


def test_drill_down_keeps_the_due_date_and_the_order_button(client, dataset, gxj):
    response = _get(client, gxj, "/supervision/cases/", fig="level", level="escalated", **PERIOD)
    assert response.status_code == 200
    (case,) = list(response.context["page"])
    assert case.number == dataset.C.number
    html = response.content.decode()
    assert "超期 5 个工作日" in html
    clock = dataset.clock(dataset.C, "construction")
    assert f'href="/supervision/clocks/{clock.pk}/order/"' in html


def test_dashboard_counts_by_district_and_drills_down(client, dataset, gxj):
    from applications.models import Application

    Application.objects.filter(pk=dataset.B.pk).update(district="horinger")
    response = _get(client, gxj, "/supervision/", **PERIOD)
    rows = {r["code"]: r for r in response.context["districts"]}
    assert rows["horinger"]["n"] == 1
    assert len(rows) == 10  # the nine and "not given"
    html = response.content.decode()
    assert "和林格尔县" in html and 'data-figure="district-horinger"' in html
    response = _get(client, gxj, "/supervision/cases/", fig="state", district="horinger", **PERIOD)
    assert [a.number for a in response.context["page"]] == [dataset.B.number]
