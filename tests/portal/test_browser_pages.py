"""Headless Chromium visits every page of the portal as the person who uses it, at 375 px and 1280 px:
nothing scrolls sideways on a phone, and a screenshot of each page at each width goes to
artifacts/screenshots/. On the way, someone without an account looks a case up by number and phone,
and a customer books the meter visit from a slot a clerk opened."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.appointments import MeterVisitSlot
from tests.applications.factories import case_in_state
from tests.factories import TEST_PASSWORD
from tests.portal.permits import road_permit_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page, screenshot_dir, name):
    """The page at phone and desktop widths; no horizontal scrolling on the phone."""
    page.set_viewport_size(PHONE)
    # Charts follow the new width on their next frames: read the overflow frame by frame until the layout
    # settles (120 frames at most). Read by page.evaluate, which the page's CSP does not apply to (a
    # wait_for_function predicate is an eval, which it refuses).
    for _frame in range(120):
        overflow = page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => done("
            "document.documentElement.scrollWidth - document.documentElement.clientWidth)))"
        )
        if overflow <= 1:
            break
    assert overflow <= 1, f"{name} scrolls sideways at 375 px ({overflow}px)"
    page.screenshot(path=screenshot_dir / f"page-{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=screenshot_dir / f"page-{name}-desktop.png", full_page=True)


def visit(page, base, path, screenshot_dir, name, status=200):
    response = page.goto(f"{base}{path}")
    assert response.status == status, (path, response.status)
    expect(page.locator("h1").first).to_be_visible()
    shoot(page, screenshot_dir, name)


def signed_in(browser, base, username):
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    return page


def test_every_page_at_both_widths(
    browser, live_server, psb_staff, customer, supervisor, make_user, screenshot_dir
):
    base = live_server.url
    window = make_user("window_p", roles=["window", "reviewer"], org="xzsp")
    road = make_user("cgzf_p", roles=["reviewer"], org="cgzf")
    accepted = case_in_state("accepted", customer=customer, staff=psb_staff, contact_phone="13947102468")
    installing = case_in_state("installing", customer=customer, staff=psb_staff)
    connected = case_in_state("connected", customer=customer, staff=psb_staff)
    returned = case_in_state("returned", customer=customer, staff=psb_staff)
    approving, task = road_permit_case(psb_staff, window, road)
    starts = timezone.localtime() + timedelta(days=2)
    starts = starts.replace(hour=9, minute=0, second=0, microsecond=0)
    MeterVisitSlot.objects.create(starts_at=starts, ends_at=starts + timedelta(hours=2), opened_by=psb_staff)

    # Someone without an account.
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    for path, name in (
        ("/", "home"),
        ("/accounts/login/", "login"),
        ("/accounts/login/sms/", "login-sms"),
        ("/accounts/password/reset/", "password-reset"),
        ("/accounts/register/", "register"),
        ("/accounts/privacy/", "privacy"),
        ("/supervision/guide/", "guide"),
        ("/lookup/", "lookup"),
    ):
        visit(page, base, path, screenshot_dir, name)
    visit(page, base, "/no-such-page/", screenshot_dir, "error-404", status=404)
    # 办件查询 by number and the last four digits of the contact phone.
    page.goto(f"{base}/lookup/")
    page.get_by_label("申请编号").fill(accepted.number)
    page.get_by_label("联系电话后四位").fill("2468")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-state")).to_have_text("已受理")
    expect(page.locator('[data-stage="plan_reply"]')).to_contain_text("办理中")
    expect(page.locator("#lookup-result")).not_to_contain_text(accepted.applicant_name)
    shoot(page, screenshot_dir, "lookup-result")

    # The customer.
    page = signed_in(browser, base, customer.username)
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    for path, name in (
        ("/applications/mine/", "mine"),
        ("/applications/new/", "apply"),
        ("/applications/wallet/", "wallet"),
        (f"/applications/{accepted.pk}/", "case-customer-accepted"),
        (f"/applications/{returned.pk}/", "case-customer-returned"),
        (f"/applications/{connected.pk}/", "case-customer-connected"),
        ("/deadlines/inbox/", "inbox"),
    ):
        visit(page, base, path, screenshot_dir, name)
    visit(page, base, "/supervision/", screenshot_dir, "error-403", status=403)
    # 预约装表 from the slot the clerk opened.
    visit(page, base, f"/applications/{installing.pk}/", screenshot_dir, "case-customer-installing")
    page.locator("#visit-form").get_by_role("radio").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="确认预约").click()
    expect(page.locator("#visit-booked")).to_contain_text(f"{starts:%Y-%m-%d} 09:00")
    # The rating reads in words.
    page.goto(f"{base}/applications/{connected.pk}/")
    expect(page.locator("#rating")).to_contain_text("非常不满意")
    # Withdrawing asks for a reason behind a confirmation naming the consequence.
    page.goto(f"{base}/applications/{accepted.pk}/")
    page.locator("#transition-withdraw summary").click()
    expect(page.locator("#transition-withdraw .confirm-consequence")).to_contain_text("不能恢复")
    shoot(page, screenshot_dir, "case-customer-withdraw-confirm")

    # The clerk.
    page = signed_in(browser, base, psb_staff.username)
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    for path, name in (
        ("/applications/queue/", "queue"),
        ("/applications/slots/", "slots"),
        (f"/applications/{installing.pk}/", "case-staff-installing"),
        (f"/applications/{approving.pk}/", "case-staff-approving"),
        ("/supervision/orders/", "orders-staff"),
    ):
        visit(page, base, path, screenshot_dir, name)
    expect(page.locator("body")).to_be_visible()
    page.goto(f"{base}/applications/{installing.pk}/")
    expect(page.locator("#visit-booked-staff")).to_contain_text(f"{starts:%Y-%m-%d} 09:00")

    # The department reviewer.
    page = signed_in(browser, base, road.username)
    for path, name in (
        ("/approvals/", "approvals-queue"),
        (f"/approvals/tasks/{task.pk}/", "approvals-task"),
    ):
        visit(page, base, path, screenshot_dir, name)
    expect(page.locator("#blocked-grant")).to_contain_text("待完成")

    # The supervisor.
    page = signed_in(browser, base, supervisor.username)
    for path, name in (
        ("/supervision/", "dashboard"),
        ("/supervision/cases/?fig=state&state=accepted", "drill-down"),
        ("/supervision/orders/", "orders"),
        ("/supervision/credit/", "credit"),
        ("/supervision/report/", "report"),
    ):
        visit(page, base, path, screenshot_dir, name)
    assert external == [], external


def test_withdrawing_is_not_the_customers_most_prominent_control(browser, live_server, customer, psb_staff):
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    page = signed_in(browser, live_server.url, customer.username)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    actions = page.locator("#case-actions").bounding_box()
    history = page.locator("#timeline-title").bounding_box()
    progress = page.locator("#progress-title").bounding_box()
    assert actions["y"] > history["y"] > progress["y"]
    # A small outlined summary, not a filled button, and it asks before doing anything.
    summary = page.locator("#transition-withdraw summary")
    assert "btn-sm" in summary.get_attribute("class") and "btn-outline-danger" in summary.get_attribute(
        "class"
    )
    expect(page.locator("#transition-withdraw .confirm-consequence")).to_be_hidden()
    summary.click()
    expect(page.locator("#transition-withdraw .confirm-consequence")).to_be_visible()
    expect(page.locator("#transition-withdraw").get_by_label("办理时间太长")).to_be_visible()
