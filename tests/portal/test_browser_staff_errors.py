"""Headless Chromium: a clerk, a department reviewer and a supervisor submit each staff form with a
mistake, under DEBUG on and off. The message lands in the form's own card, the rest of the page stays,
and correcting the mistake moves the case on."""

import pytest
from playwright.sync_api import expect

from applications.models import ApplicationState
from deadlines.models import StageClock
from tests.applications.factories import case_in_state
from tests.factories import TEST_PASSWORD
from tests.portal.permits import road_permit_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def submit_and_expect_error(page, card_selector, button, message):
    """Submit the card's form; the error shows inside the card and the page's heading is still there."""
    card = page.locator(card_selector)
    card.get_by_role("button", name=button).click()
    expect(page.locator(card_selector)).to_contain_text(message)
    expect(page.locator("header nav")).to_be_visible()
    expect(page.locator("h1")).to_have_count(1)
    # The button is usable again once the answer is in.
    expect(page.locator(card_selector).get_by_role("button", name=button)).to_be_enabled()


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_case_forms_answer_errors_in_their_own_card(browser, live_server, settings, psb_staff, debug):
    settings.DEBUG = debug
    base = live_server.url
    submitted = case_in_state("submitted", staff=psb_staff)
    accepted = case_in_state("accepted", staff=psb_staff)
    installing = case_in_state("installing", staff=psb_staff)
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(page, base, psb_staff.username)

    page.goto(f"{base}/applications/{submitted.pk}/")
    submit_and_expect_error(
        page,
        "#transition-return_for_materials",
        "退回补正（一次性告知）",
        "请一次性列出全部缺少或不合格的资料",
    )
    page.locator("#transition-terminate summary").click()
    submit_and_expect_error(page, "#transition-terminate", "确认终止办理", "请填写终止的原因")

    page.goto(f"{base}/applications/{accepted.pk}/")
    submit_and_expect_error(page, "#transition-reply_plan", "答复供电方案", "请回答“是”或“否”")

    page.goto(f"{base}/applications/{installing.pk}/")
    submit_and_expect_error(page, "#transition-connect", "装表接电", "请填写电能表编号")
    # Recovering: the number given, the case is connected.
    page.locator("#transition-connect").get_by_label("电能表编号").fill("HHHT-M-0042")
    with page.expect_navigation():
        page.locator("#transition-connect").get_by_role("button", name="装表接电").click()
    expect(page.locator("#case-state")).to_contain_text("已送电")
    installing.refresh_from_db()
    assert installing.state == ApplicationState.CONNECTED


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_permit_and_supervision_forms_answer_errors_in_place(
    browser, live_server, settings, psb_staff, supervisor, make_user, debug
):
    settings.DEBUG = debug
    base = live_server.url
    window = make_user("window_e", roles=["window", "reviewer"], org="xzsp")
    road = make_user("cgzf_e", roles=["reviewer"], org="cgzf")
    application, task = road_permit_case(psb_staff, window, road)

    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(page, base, road.username)
    page.goto(f"{base}/approvals/tasks/{task.pk}/")
    page.locator("#task-action-refuse summary").click()
    submit_and_expect_error(page, "#task-action-refuse", "确认不予许可", "请填写不予许可的理由")
    submit_and_expect_error(
        page, "#task-action-return_for_correction", "退回补正", "请一次性写明需要补正的内容"
    )

    # A supervisor's 督办 order: the default reply date is accepted as it is; a missing instruction is
    # reported beside its field.
    clock = StageClock.objects.get(subject_id=application.pk, stage="approval", finished_at=None)
    StageClock.objects.filter(pk=clock.pk).update(level="overdue")
    boss = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(boss, base, supervisor.username)
    boss.goto(f"{base}/supervision/clocks/{clock.pk}/order/")
    assert boss.get_by_label("要求答复日期").input_value() != ""
    with boss.expect_navigation():
        boss.get_by_role("button", name="下发督办").click()
    expect(boss.locator("main form")).to_contain_text("该字段是必填项")
    assert boss.get_by_label("要求答复日期").input_value() != ""
    boss.get_by_label("督办事项").fill("请说明审批超期原因。")
    with boss.expect_navigation():
        boss.get_by_role("button", name="下发督办").click()
    expect(boss.locator("h1")).to_contain_text("督办")
    expect(boss.locator("main")).to_contain_text("超期")
