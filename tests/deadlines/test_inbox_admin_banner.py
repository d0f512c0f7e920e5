"""The inbox page, the calendar and policy admin, and the missing-year banner."""

from datetime import date

import pytest
import time_machine

from deadlines.clocks import clock_start
from deadlines.models import (
    CalendarDay,
    CalendarSource,
    CalendarYear,
    Notification,
    PolicyRule,
    PolicyRuleChange,
)
from deadlines.notifications import notify

from .conftest import HV_DUAL, sh

pytestmark = pytest.mark.django_db
INBOX = "/deadlines/inbox/"


def _login(client, user):
    client.force_login(user)
    return client


def _note(user, key, title="【预警】测试"):
    return notify(
        recipients=[user], kind="test", title=title, body="正文", url="/deadlines/inbox/", dedupe_key=key
    )[0]


def test_inbox_lists_only_my_messages_and_marks_them_read(
    client, customer, other_customer, django_assert_max_num_queries
):
    mine = [_note(customer, f"k{i}", title=f"我的消息{i}") for i in range(3)]
    theirs = _note(other_customer, "k0", title="别人的消息")
    _login(client, customer)
    with django_assert_max_num_queries(12):
        page = client.get(INBOX)
    text = page.content.decode()
    assert page.status_code == 200 and "我的消息2" in text and "别人的消息" not in text
    assert "3 条未读" in text
    assert client.post("/deadlines/inbox/read/", {"id": theirs.pk}).status_code == 404
    response = client.post("/deadlines/inbox/read/", {"id": mine[0].pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == "/deadlines/inbox/"
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None
    fragment = client.post("/deadlines/inbox/read/", {"all": "1"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "0 条未读" in fragment.content.decode()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_inbox_needs_sign_in(client):
    assert client.get(INBOX).status_code == 302


BANNER = "2027 年节假日安排"


@pytest.mark.parametrize(
    ("when", "shown"),
    [(sh(2026, 10, 31, 12), False), (sh(2026, 11, 1, 8), True), (sh(2026, 11, 30, 9), True)],
)
def test_banner_from_1_november_for_administrators(client, admin_user, when, shown):
    _login(client, admin_user)
    with time_machine.travel(when, tick=False):
        assert (BANNER in client.get(INBOX).content.decode()) is shown


def test_banner_only_for_who_can_act_and_gone_once_the_year_is_entered(
    client, customer, psb_staff, supervisor, admin_user
):
    with time_machine.travel(sh(2026, 11, 30, 9), tick=False):
        assert BANNER not in _login(client, customer).get(INBOX).content.decode()
        # A clerk cannot enter the calendar: no banner.
        assert BANNER not in _login(client, psb_staff).get(INBOX).content.decode()
        # A supervisor reads a note, without being asked to do what only administrators can.
        html = _login(client, supervisor).get(INBOX).content.decode()
        assert "2027 年节假日安排尚未公布录入" in html and "管理后台" not in html
        html = _login(client, admin_user).get("/admin/").content.decode()
        assert BANNER in html and "“日历年度”中录入" in html
        CalendarYear.objects.filter(year=2027).update(source=CalendarSource.NOTICE)
        assert BANNER not in client.get("/admin/").content.decode()


def test_admin_enters_the_2027_notice_and_provisional_clocks_are_recomputed(client, admin_user, subject):
    at = sh(2026, 12, 21, 10)
    clock = clock_start(subject=subject, stage="plan_reply", facts=HV_DUAL, policy_date=at.date(), at=at)
    assert clock.provisional
    _login(client, admin_user)
    url = "/admin/deadlines/calendaryear/2027/change/"
    assert "国务院办公厅" in client.get(url).content.decode()
    bad = client.post(url, {"notice_title": "x", "holiday_ranges": "元旦放假", "makeup_days": ""})
    assert bad.status_code == 200 and "无法识别" in bad.content.decode()
    response = client.post(
        url,
        {
            "notice_title": "国务院办公厅关于2027年部分节假日安排的通知",
            "holiday_ranges": "2027-01-01 2027-01-03 元旦\n2027-02-05 2027-02-12 春节",
            "makeup_days": "2027-01-30 春节调休\n2027-02-20 春节调休",
        },
    )
    assert response.status_code == 302
    entry = CalendarYear.objects.get(year=2027)
    assert entry.source == CalendarSource.NOTICE and entry.entered_by == admin_user
    assert CalendarDay.objects.get(date=date(2027, 1, 30)).is_working is True
    clock.refresh_from_db()
    assert clock.provisional is False and clock.due_at == sh(2027, 2, 2)


def test_a_rule_edited_in_the_admin_is_audited(client, admin_user):
    rule = PolicyRule.objects.get(policy__code="hohhot-2020", stage="design")
    _login(client, admin_user)
    url = f"/admin/deadlines/policyrule/{rule.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"limit_working_days": 10, "change_reason": "新版意见压缩设计时限"})
    for key in ("external_works", "road_excavation", "green_space", "permits_needed"):
        data[key] = {True: "true", False: "false"}.get(form.initial.get(key), "unknown")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = PolicyRuleChange.objects.get(rule_id_ref=rule.pk)
    assert change.actor == admin_user and change.reason == "新版意见压缩设计时限"
    assert (change.before["limit_working_days"], change.after["limit_working_days"]) == (12, 10)
