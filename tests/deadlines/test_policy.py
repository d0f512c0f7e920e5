"""Policy rules as data: the Hohhot 2020 table, the rule set in force, and audited edits."""

from datetime import date
from decimal import Decimal

import pytest

from deadlines.models import PolicyDocument, PolicyRule, PolicyRuleChange, StageCode
from deadlines.policy import NoPolicyInForce, policy_in_force, rule_for_stage, rules_for
from deadlines.services import policy_rule_save

from .conftest import HV_DUAL, HV_SINGLE, LV, LV_EXTERNAL_ROAD

pytestmark = pytest.mark.django_db


def _plan(rules):
    return [(r.stage, r.limit_working_days) for r in rules]


def test_the_2020_policy_is_in_force_with_its_parameters():
    policy = policy_in_force(date(2026, 11, 30))
    assert policy.code == "hohhot-2020"
    assert policy.effective_from == date(2020, 1, 1)
    assert policy.lv_small_micro_max_kva == Decimal("100")
    assert policy.zero_investment_max_kva == Decimal("100")
    assert policy.average_max_working_days == 25
    assert policy.lead_org.code == "gxj"
    with pytest.raises(NoPolicyInForce):
        policy_in_force(date(2019, 12, 31))


def test_rules_for_each_case_shape():
    policy = policy_in_force(date(2025, 1, 1))
    assert _plan(rules_for(policy, LV)) == [("accept", 1), ("plan_reply", 2), ("installation", 2)]
    assert _plan(rules_for(policy, HV_SINGLE)) == [("accept", 1), ("plan_reply", 15), ("installation", 5)]
    assert _plan(rules_for(policy, HV_DUAL)) == [("accept", 1), ("plan_reply", 30), ("installation", 5)]
    assert _plan(rules_for(policy, LV_EXTERNAL_ROAD)) == [
        ("accept", 1),
        ("plan_reply", 2),
        ("design", 12),
        ("approval", None),
        ("window_intake", 1),
        ("planning_permit", 5),
        ("road_permit", 8),
        ("construction", 10),
        ("installation", 2),
    ]
    green = LV_EXTERNAL_ROAD.__class__(
        **{**LV_EXTERNAL_ROAD.__dict__, "road_excavation": False, "green_space": True}
    )
    stages = [r.stage for r in rules_for(policy, green)]
    assert "green_permit" in stages and "green_fee" in stages and "road_permit" not in stages


def test_rules_carry_their_units_and_thresholds():
    policy = policy_in_force(date(2025, 1, 1))
    design = rule_for_stage(policy, LV_EXTERNAL_ROAD, StageCode.DESIGN)
    assert (design.responsible_org.code, design.coordinating_org.code) == ("psb", "zrzy")
    construction = rule_for_stage(policy, LV_EXTERNAL_ROAD, StageCode.CONSTRUCTION)
    assert construction.coordinating_org.code == "fgw"
    assert (construction.warning_working_days, construction.escalation_working_days) == (1, 3)
    road = rule_for_stage(policy, LV_EXTERNAL_ROAD, StageCode.ROAD_PERMIT)
    assert road.responsible_org.code == "cgzf" and road.limit_working_days == 8
    assert rule_for_stage(policy, LV, StageCode.DESIGN) is None


def test_overall_commitments():
    policy = policy_in_force(date(2025, 1, 1))
    assert rule_for_stage(policy, LV, StageCode.OVERALL).limit_working_days == 5
    assert rule_for_stage(policy, LV_EXTERNAL_ROAD, StageCode.OVERALL).limit_working_days == 30
    assert rule_for_stage(policy, HV_SINGLE, StageCode.OVERALL).limit_working_days is None


def test_a_newer_policy_applies_from_its_effective_date_only():
    old = policy_in_force(date(2025, 1, 1))
    new = PolicyDocument.objects.create(
        code="national-2027",
        title="新版意见",
        effective_from=date(2027, 3, 1),
        lv_small_micro_max_kva=160,
        zero_investment_max_kva=160,
    )
    assert policy_in_force(date(2027, 2, 28)) == old
    assert policy_in_force(date(2027, 3, 1)) == new
    assert policy_in_force(date(2027, 3, 1)).zero_investment_max_kva == Decimal("160")


def test_a_rule_change_is_audited(admin_user):
    rule = PolicyRule.objects.get(policy__code="hohhot-2020", stage="accept")
    rule.limit_working_days = 2
    policy_rule_save(rule=rule, actor=admin_user, at=_now(), reason="测试")
    change = PolicyRuleChange.objects.get(rule_id_ref=rule.pk)
    assert change.action == "update" and change.actor == admin_user
    assert change.before["limit_working_days"] == 1 and change.after["limit_working_days"] == 2
    # Saving without a change writes nothing.
    policy_rule_save(rule=rule, actor=admin_user, at=_now())
    assert PolicyRuleChange.objects.filter(rule_id_ref=rule.pk).count() == 1


def _now():
    from django.utils import timezone

    return timezone.now()
