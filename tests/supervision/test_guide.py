"""The public service guide: no sign-in, rendered from the policy rules in force, live figures, no
personal data."""

import pytest
import time_machine

from deadlines.models import PolicyRule
from tests.supervision.conftest import NOW

pytestmark = pytest.mark.django_db


def test_guide_is_public_and_rendered_from_the_rules(client, dataset):
    with time_machine.travel(NOW, tick=False):
        response = client.get("/supervision/guide/")
    assert response.status_code == 200
    html = response.content.decode()
    categories = {c["code"]: c for c in response.context["categories"]}
    assert [str(m) for m in categories["lv_plain"]["materials"]] == [
        "用电申请书",
        "用电人有效身份证明",
        "用电地址物业权属证明",
    ]
    assert len(categories["hv_dual"]["materials"]) == 5
    assert [r.stage for r in categories["lv_plain"]["rules"]] == ["accept", "plan_reply", "installation"]
    lv_ext = [(r.stage, r.limit_working_days) for r in categories["lv_external"]["rules"]]
    assert ("design", 12) in lv_ext and ("road_permit", 8) in lv_ext and ("construction", 10) in lv_ext
    assert dict((r.stage, r.limit_working_days) for r in categories["hv_dual"]["rules"])["plan_reply"] == 30
    assert categories["lv_plain"]["overall"].limit_working_days == 5
    assert "平均时间不超过 25 个工作日" in html and "市城管执法局" in html
    # The policy: 三零 reaches every LV customer (惠及所有低压接电用户); clocks run from submission.
    three_zero = html.split('id="three-zero"')[1].split("</li>")[0]
    assert "惠及所有低压接电用户" in three_zero and "100" in three_zero
    assert "自提交申请起计时" in html and "自受理次日起算" not in html
    # This month (October 2026): B connected on 9 Oct in 6 working days; its installation finished late.
    live = response.context["live"]
    assert (live["connected"], live["mean_working_days"], live["stages_finished"], live["on_time_rate"]) == (
        1,
        6.0,
        1,
        0.0,
    )
    for personal in ("申请人", "HHHT-2026", "13912", "王五", "91150100"):
        assert personal not in html


def test_guide_follows_a_changed_rule(client, dataset):
    PolicyRule.objects.filter(stage="plan_reply", voltage="low").update(limit_working_days=1)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/supervision/guide/")
    categories = {c["code"]: c for c in response.context["categories"]}
    assert dict((r.stage, r.limit_working_days) for r in categories["lv_plain"]["rules"])["plan_reply"] == 1


def test_guide_in_english_on_request(client, dataset):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False):
        html = client.get("/supervision/guide/").content.decode()
    assert "Our commitments" in html and "LV without external works" in html
