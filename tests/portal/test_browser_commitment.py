"""Headless Chromium: a customer with only its identity proof reads the generated 告知承诺 on the preview,
ticks it and submits (一证受理); the case page lists the promised property proof with its day, and the
customer uploads it there."""

import pytest
from playwright.sync_api import expect

from applications.promises import Commitment, PromisedMaterial
from tests.applications.factories import PDF_BYTES, ApplicationFactory, DocumentFactory
from tests.factories import TEST_PASSWORD

from .test_browser_walk import DESKTOP, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_certificate_submission_and_the_promised_material(
    browser, live_server, customer, screenshot_dir, tmp_path
):
    base = live_server.url
    application = ApplicationFactory(customer=customer)
    application.documents.add(DocumentFactory(owner=customer, kind="identity"))

    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    sign_in(page, base, customer.username, TEST_PASSWORD)
    page.goto(f"{base}/applications/{application.pk}/preview/")
    commitment = page.locator("#commitment")
    expect(commitment).to_contain_text("告知承诺书")
    expect(commitment).to_contain_text("用电地址物业权属证明")
    expect(commitment).to_contain_text("信用记录")
    shoot(page, screenshot_dir, "commitment-preview")
    page.get_by_label("我已阅读并同意以上承诺").check()
    with page.expect_navigation():
        page.locator("#submit-with-commitment").click()
    expect(page.locator("#case-state")).to_contain_text("已提交")
    promised = page.locator("#promised")
    expect(promised).to_contain_text("用电地址物业权属证明")
    expect(promised).to_contain_text("待补交")
    assert Commitment.objects.get(application=application).customer == customer

    proof = tmp_path / "property.pdf"
    proof.write_bytes(PDF_BYTES)
    page.locator("#promised-property").set_input_files(str(proof))
    page.locator("#supply-promised").click()  # sent in the background; the answer replaces the page
    expect(page.locator("#promised")).to_contain_text("已补交")
    assert PromisedMaterial.objects.get(application=application).document.kind == "property"
