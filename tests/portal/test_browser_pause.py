"""Headless Chromium: staff request a pause on a case (the clock keeps running), the customer confirms it
on its case page, and the case shows the clock paused with the ledger row; staff then resume it."""

import pytest
from playwright.sync_api import expect

from applications.pauses import Pause
from tests.applications.factories import case_in_state
from tests.factories import TEST_PASSWORD

from .test_browser_walk import DESKTOP, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_request_a_pause_the_customer_confirms_it(
    browser, live_server, psb_staff, customer, screenshot_dir
):
    base = live_server.url
    application = case_in_state("accepted", customer=customer, staff=psb_staff)
    case_url = f"{base}/applications/{application.pk}/"

    staff = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(staff, base, psb_staff.username, TEST_PASSWORD)
    staff.goto(case_url)
    staff.get_by_label("暂停原因").select_option("customer_works_unfinished")
    staff.get_by_label("说明").fill("客户配电室尚未完工，完工后通知")
    with staff.expect_navigation():
        staff.locator("#pause-button").click()
    ledger = staff.locator(".pause-ledger")
    expect(ledger).to_contain_text("客户受电工程未完工")
    expect(ledger).to_contain_text("待确认")
    expect(staff.locator("#case-state")).not_to_contain_text("暂停计时")
    expect(staff.locator("[id^=pause-confirm-]")).to_have_count(0)  # staff cannot confirm it

    me = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(me, base, customer.username, TEST_PASSWORD)
    me.goto(case_url)
    expect(me.locator(".pause-ledger")).to_contain_text("客户配电室尚未完工")
    shoot(me, screenshot_dir, "pause-request-customer")
    with me.expect_navigation():
        me.locator("[id^=pause-confirm-]").click()
    expect(me.locator("#case-state")).to_contain_text("暂停计时")
    expect(me.locator(".pause-ledger")).to_contain_text("暂停中")
    assert Pause.objects.get(application=application).answered_by == customer

    staff.goto(case_url)
    with staff.expect_navigation():
        staff.locator("#resume-button").click()
    expect(staff.locator(".pause-ledger")).to_contain_text("已恢复计时")
    expect(staff.locator("#case-state")).not_to_contain_text("暂停计时")
