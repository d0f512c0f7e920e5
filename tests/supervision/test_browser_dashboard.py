"""Headless Chromium: a supervisor opens the dashboard (charts drawn by the portal's own Chart.js),
filters by category, drills down from a figure to its cases, and downloads the Excel export."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD
from tests.supervision.conftest import PERIOD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(reference_data, dataset):
    return dataset


def test_supervisor_filters_drills_down_and_exports(page, live_server, data, gxj, screenshot_dir):
    base = live_server.url
    external = []
    blocked = []  # what the Content-Security-Policy refused
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(gxj.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    page.goto(f"{base}/supervision/?from={PERIOD['from']}&to={PERIOD['to']}")
    assert page.locator("h1").inner_text() == "监管看板"
    expect(page.locator("html")).to_have_attribute("data-charts-ready", "1")
    assert page.evaluate("!!document.getElementById('chart-trend').chart")
    # Every chart tall enough to read, and every category keeps its label.
    for chart, axis in (("chart-stages", "y"), ("chart-orgs", "x"), ("chart-trend", "x")):
        height = page.evaluate(f"document.getElementById('{chart}').getBoundingClientRect().height")
        assert height >= 300, (chart, height)
        shown, labels = page.evaluate(
            f"[document.getElementById('{chart}').chart.scales.{axis}.ticks.length,"
            f" document.getElementById('{chart}').chart.data.labels.length]"
        )
        assert shown == labels, (chart, shown, labels)
    assert page.locator("#table-states a[data-figure=state-total]").inner_text() == "7"
    page.screenshot(path=screenshot_dir / "supervision-dashboard-desktop.png", full_page=True)

    page.select_option("#id_category", "lv_plain")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert "category=lv_plain" in page.url
    assert page.locator("#table-states a[data-figure=state-total]").inner_text() == "2"
    assert page.locator("#table-commitments tbody tr").count() == 1

    with page.expect_navigation():
        page.locator("a[data-figure=commitment-broken]").click()
    assert page.locator("#drill-title").inner_text() == "超出承诺时间"
    rows = page.locator("#drill-cases tbody tr")
    assert rows.count() == 1 and data.B.number in rows.first.inner_text()

    with page.expect_download() as download_info:
        page.locator("#export-cases").click()
    download = download_info.value
    wb = load_workbook(BytesIO(open(download.path(), "rb").read()))
    sheet = list(wb.worksheets[0].iter_rows(values_only=True))
    assert sheet[0][0] == "申请编号" and [r[0] for r in sheet[1:]] == [data.B.number]
    assert download.suggested_filename.endswith(".xlsx")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/supervision/?from={PERIOD['from']}&to={PERIOD['to']}")
    page.screenshot(path=screenshot_dir / "supervision-dashboard-phone.png", full_page=True)
    assert external == [], external
    assert blocked == [], blocked
