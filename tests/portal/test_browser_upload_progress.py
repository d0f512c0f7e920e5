"""A file upload shows how much of it the browser has sent, as a percentage, then the page the upload
leads to (the wallet with the new document, or the form with its message), under the pages' CSP."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Document
from tests.applications.factories import PDF_BYTES
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# About 1.5 MB sent at 300 kB/s: several progress events before the answer.
BIG_PDF = PDF_BYTES + b"%" + b"0" * 1_500_000 + b"\n"


def _wallet(browser, base, customer):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(customer.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/applications/wallet/")
    return page, refused


def test_the_upload_bar_counts_up_in_percent(browser, live_server, customer):
    page, refused = _wallet(browser, live_server.url, customer)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 300_000},
    )
    page.locator("#wallet-kind").select_option("identity")
    page.set_input_files(
        "#wallet-file", files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": BIG_PDF}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(".upload-percent")).to_have_text(re.compile(r"^([1-9]|[1-9]\d)%$"), timeout=10_000)
    expect(page.get_by_role("button", name="上传", exact=True)).to_be_disabled()
    # The answer replaces the page: the wallet again, with the document listed.
    expect(page.locator(".upload-progress")).to_have_count(0, timeout=30_000)
    assert page.url.endswith("/applications/wallet/")
    expect(page.locator("body")).to_contain_text("licence.pdf")
    assert Document.objects.filter(owner=customer).count() == 1
    assert refused == []


def test_a_refused_file_comes_back_with_its_message(browser, live_server, customer):
    page, refused = _wallet(browser, live_server.url, customer)
    page.set_input_files(
        "#wallet-file", files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"plain text"}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("body")).to_contain_text("只接受 PDF、JPEG 或 PNG 文件。")
    expect(page.locator(".upload-progress")).to_have_count(0)
    # The form can be sent again.
    expect(page.get_by_role("button", name="上传", exact=True)).to_be_enabled()
    assert Document.objects.filter(owner=customer).count() == 0
    assert refused == []
