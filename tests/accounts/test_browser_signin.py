"""Headless Chromium: the login page in Chinese, signing in, and the language switch."""

import pytest

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_signs_in_in_chinese_and_switches_to_english(page, live_server, customer, screenshot_dir):
    external = []
    blocked = []  # what the Content-Security-Policy refused
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 375, "height": 780})
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    page.screenshot(path=screenshot_dir / "login-phone.png", full_page=True)
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码不正确" in page.locator(".alert-danger").inner_text()
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "张三" in page.locator("#current-user").inner_text()
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.screenshot(path=screenshot_dir / "home-desktop-en.png", full_page=True)
    assert external == [], external
    assert blocked == [], blocked
