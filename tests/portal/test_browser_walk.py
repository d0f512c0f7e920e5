"""Headless Chromium walks the portal: a customer registers, applies with uploads and sees its case; a
staff user accepts it, answers the plan and connects it; the customer sees it connected and rates it;
a second customer cannot open the first one's case. Screenshots at 375 px and 1280 px wide."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application, ApplicationState
from applications.satisfaction import SatisfactionRating
from deadlines.sms import FakeSmsBackend
from tests.applications.factories import PDF_BYTES, PNG_BYTES, credit_code
from tests.factories import TEST_PASSWORD

# The migration-seeded rows an earlier transactional test flushed are put back by tests/conftest.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
CUSTOMER_PASSWORD = "Qingcheng-Power-2026"


def shoot(page, screenshot_dir, name):
    """The page at phone and desktop widths, and no horizontal scrolling on the phone."""
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{name} scrolls sideways at 375 px ({overflow}px)"
    page.screenshot(path=screenshot_dir / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=screenshot_dir / f"{name}-desktop.png", full_page=True)


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_customer_applies_staff_connects_customer_rates(
    browser, live_server, psb_staff, other_customer, screenshot_dir, settings
):
    settings.SMS_BACKEND = "deadlines.sms.FakeSmsBackend"
    FakeSmsBackend.reset()
    base = live_server.url
    external = []
    blocked = []  # what the Content-Security-Policy refused

    def new_page():
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        p = context.new_page()
        p.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
        p.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        return p

    # A customer registers with an SMS code, the password rules in sight, and lands on its applications.
    page = new_page()
    page.goto(f"{base}/accounts/register/")
    expect(page.locator("#password-rules")).to_be_visible()
    page.get_by_label("用户名").fill("qingcheng")
    page.get_by_label("姓名").fill("赵青城")
    page.get_by_label("手机号码").fill("13947100088")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms-status")).to_contain_text("139****0088")
    code = re.search(r"\d{6}", FakeSmsBackend.outbox[-1][1]).group(0)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("密码", exact=True).fill(CUSTOMER_PASSWORD)
    page.get_by_label("确认密码").fill(CUSTOMER_PASSWORD)
    page.get_by_label("我已阅读并同意《隐私政策》").check()
    shoot(page, screenshot_dir, "register")
    with page.expect_navigation():
        page.get_by_role("button", name="注册").click()
    expect(page.locator("h1")).to_have_text("我的申请")

    # The guided form checks each field as it is typed.
    page.get_by_role("link", name="新的用电申请").click()
    page.wait_for_load_state()
    page.get_by_label("新装").check()
    page.get_by_label("低压").check()
    page.get_by_label("小微企业").check()
    expect(page.locator("#feedback-applicant_type")).to_contain_text("填写正确")
    page.get_by_label("申请人名称").fill("呼和浩特市青城便利店")
    page.get_by_label("身份证号码或统一社会信用代码").fill("12345")
    expect(page.locator("#feedback-id_number")).to_have_class(re.compile("text-danger"))
    page.get_by_label("身份证号码或统一社会信用代码").fill(credit_code(88))
    expect(page.locator("#feedback-id_number")).to_contain_text("填写正确")
    # The check depends on the applicant type: a credit code is no resident ID.
    page.get_by_label("居民").check()
    expect(page.locator("#feedback-id_number")).to_have_class(re.compile("text-danger"))
    page.get_by_label("小微企业").check()
    expect(page.locator("#feedback-id_number")).to_contain_text("填写正确")
    page.get_by_label("手机号码").fill("13947100088")
    page.get_by_label("用电地址").fill("内蒙古自治区呼和浩特市新城区海拉尔东街88号")
    page.get_by_label("申请容量（kVA）").fill("300")
    expect(page.locator("#feedback-capacity_kva")).to_contain_text("更大容量请选择高压")
    page.get_by_label("申请容量（kVA）").fill("60")
    expect(page.locator("#feedback-capacity_kva")).to_contain_text("填写正确")
    # Switching to HV shows the power sources and the five materials; back to LV.
    page.get_by_label("高压").check()
    expect(page.locator(".material-project_approval")).to_be_visible()
    page.get_by_label("低压").check()
    expect(page.locator(".material-project_approval")).to_have_count(0)
    expect(page.locator(".material-property")).to_contain_text("产权或使用权")
    page.set_input_files(
        "#file_identity", files=[{"name": "licence.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    page.set_input_files(
        "#file_property", files=[{"name": "lease.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    shoot(page, screenshot_dir, "apply")
    with page.expect_navigation():
        page.get_by_role("button", name="保存并预览申请书").click()

    # The preview of the generated application form, then submit.
    expect(page.locator("h1")).to_have_text("预览并提交")
    expect(page.frame_locator("#form-preview").locator("body")).to_contain_text("呼和浩特市青城便利店")
    shoot(page, screenshot_dir, "preview")
    with page.expect_navigation():
        page.get_by_role("button", name="确认提交申请").click()
    application = Application.objects.get(applicant_name="呼和浩特市青城便利店")
    assert application.state == ApplicationState.SUBMITTED
    expect(page.locator("#case-number")).to_have_text(application.number)
    expect(page.locator("#case-state")).to_contain_text("已提交")
    expect(page.locator('[data-stage="accept"]')).to_contain_text("承诺")
    shoot(page, screenshot_dir, "case-customer")
    page.goto(f"{base}/applications/mine/")
    expect(page.locator(".case-number")).to_have_text(application.number)
    shoot(page, screenshot_dir, "mine")
    page.goto(f"{base}/applications/wallet/")
    expect(page.locator(".wallet-table tbody tr")).to_have_count(2)
    shoot(page, screenshot_dir, "wallet")

    # A staff user works the case from the queue.
    staff = new_page()
    sign_in(staff, base, psb_staff.username, TEST_PASSWORD)
    expect(staff.locator("h1")).to_have_text("工单队列")
    shoot(staff, screenshot_dir, "queue")
    with staff.expect_navigation():
        staff.get_by_role("link", name=application.number).click()
    expect(staff.locator("#id-number")).to_have_text(application.id_number)
    shoot(staff, screenshot_dir, "case-staff")
    with staff.expect_navigation():
        staff.locator("#transition-accept").get_by_role("button", name="受理").click()
    expect(staff.locator("#case-state")).to_contain_text("已受理")
    plan = staff.locator("#transition-reply_plan")
    # Forgetting the yes/no: the service's message appears in the card, nothing moves.
    plan.get_by_role("button", name="答复供电方案").click()
    expect(staff.locator("#transition-reply_plan")).to_contain_text("请回答“是”或“否”")
    plan = staff.locator("#transition-reply_plan")
    plan.locator("fieldset", has_text="是否有外线工程").get_by_label("否").check()
    plan.get_by_label("供电方案").fill("由附近公用配变低压接入，表箱已具备")
    with staff.expect_navigation():
        plan.get_by_role("button", name="答复供电方案").click()
    expect(staff.locator("#case-state")).to_contain_text("竣工装表")
    connect = staff.locator("#transition-connect")
    connect.get_by_label("电能表编号").fill("HHHT-M-0088")
    with staff.expect_navigation():
        connect.get_by_role("button", name="装表接电").click()
    expect(staff.locator("#case-state")).to_contain_text("已送电")

    # The customer sees it connected and rates it.
    page.goto(f"{base}/applications/{application.pk}/")
    expect(page.locator("#case-state")).to_contain_text("已送电")
    expect(page.locator('[data-step="install"]')).to_contain_text("已完成")
    page.locator("#rating").get_by_label("非常满意", exact=True).check()
    page.locator("#rating").get_by_label("全程网上办，不用跑腿").check()
    page.get_by_label("评价内容（选填）").fill("全程网上办，没跑一次腿")
    shoot(page, screenshot_dir, "case-connected")
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rating")).to_contain_text("★★★★★")
    expect(page.locator("#rating")).to_contain_text("非常满意")
    expect(page.locator("#rating")).to_contain_text("全程网上办，不用跑腿")
    rating = SatisfactionRating.objects.get(application=application)
    assert (rating.score, rating.tags) == (5, ["online"])

    # A second customer cannot open the first one's case.
    intruder = new_page()
    sign_in(intruder, base, other_customer.username, TEST_PASSWORD)
    response = intruder.goto(f"{base}/applications/{application.pk}/")
    assert response.status == 404
    assert application.number not in intruder.content()
    assert external == [], external
    assert blocked == [], blocked


def test_window_pushes_and_a_department_grants_a_permit(
    browser, live_server, psb_staff, make_user, screenshot_dir
):
    from approvals.models import ApprovalTask
    from tests.applications.factories import case_in_state

    base = live_server.url
    window = make_user("window_b", roles=["window", "reviewer"], org="xzsp", real_name="窗口受理员")
    planner = make_user("zrzy_b", roles=["reviewer"], org="zrzy", real_name="规划审查员")
    application = case_in_state("approving", staff=psb_staff, road_excavation=True)
    external = []
    blocked = []  # what the Content-Security-Policy refused

    def new_page():
        p = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
        p.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
        p.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        return p

    # The one-stop window accepts the filing: the permits are pushed to the departments.
    page = new_page()
    sign_in(page, base, window.username, TEST_PASSWORD)
    expect(page.locator("h1")).to_have_text("审批任务")
    expect(page.locator(".task-row")).to_have_count(1)
    with page.expect_navigation():
        page.get_by_role("link", name="受理施工申请").click()
    with page.expect_navigation():
        page.get_by_role("button", name="受理并推送审批部门").click()
    expect(page.locator("#task-state")).to_contain_text("已办结")

    # The planning office reviews, uploads the permit to the shared file and grants it.
    page = new_page()
    sign_in(page, base, planner.username, TEST_PASSWORD)
    shoot(page, screenshot_dir, "approvals-queue")
    with page.expect_navigation():
        page.get_by_role("link", name="规划许可").click()
    with page.expect_navigation():
        page.get_by_role("button", name="开始审查").click()
    page.locator("#upload-form").get_by_label("材料类别").select_option("permit")
    page.locator("#upload-form").get_by_label("名称（选填）").fill("建设工程规划许可证")
    page.set_input_files(
        "#upload-form input[type=file]",
        files=[{"name": "permit.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}],
    )
    # A file is sent in the background (its bar counts in percent); the answer replaces the page.
    page.get_by_role("button", name="上传并共享").click()
    expect(page.locator(".shared-documents")).to_contain_text("建设工程规划许可证")
    grant = page.locator("#task-action-grant")
    grant.get_by_label("许可文号").fill("规划许可〔2026〕88号")
    shoot(page, screenshot_dir, "approvals-task")
    with page.expect_navigation():
        grant.get_by_role("button", name="准予许可（出件）").click()
    expect(page.locator("#task-state")).to_contain_text("已办结")
    expect(page.locator("#permit-number")).to_have_text("规划许可〔2026〕88号")
    task = ApprovalTask.objects.get(application=application, kind="planning_permit")
    assert task.state == "granted"
    assert external == [], external
    assert blocked == [], blocked
