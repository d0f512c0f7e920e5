"""Seed the Hohhot 2020 policy (呼和浩特市进一步优化电力营商环境实施办法（试行）, in force 2020-01-01):
every row of the SPEC section 2 table as a rule, the overall commitments, and its parameters."""

from datetime import date

from django.db import migrations

POLICY = {
    "code": "hohhot-2020",
    "title": "呼和浩特市进一步优化电力营商环境实施办法（试行）",
    "issuer": "呼和浩特市优化电力接入营商环境工作小组",
    "effective_from": date(2020, 1, 1),
    "lv_small_micro_max_kva": 100,
    "zero_investment_max_kva": 100,
    "average_max_working_days": 25,
}

# sort, stage, parent, conditions, limit, responsible, responsible label, coordinating, clause, note
RULES = [
    (10, "accept", "", {}, 1, "psb", "", "gxj", "五（一）1 用电申请一窗受理", ""),
    (20, "plan_reply", "", {"voltage": "low"}, 2, "psb", "", "gxj", "五（一）2 供电方案答复（低压）", ""),
    (21, "plan_reply", "", {"voltage": "high", "power_sources": 1}, 15, "psb", "", "gxj", "五（一）2 供电方案答复（高压单电源）", ""),
    (22, "plan_reply", "", {"voltage": "high", "power_sources": 2}, 30, "psb", "", "gxj", "五（一）2 供电方案答复（高压双电源）", ""),
    (30, "design", "", {"external_works": True}, 12, "psb", "", "zrzy", "五（一）3 选线方案和外线工程设计", ""),
    (40, "approval", "", {"permits_needed": True}, None, None, "", "gxj", "五（二）行政审批环节", "并联审批，以最后一项许可为准"),
    (41, "window_intake", "approval", {"permits_needed": True}, 1, "xzsp", "", "gxj", "五（二）1 受理施工申请", ""),
    (42, "planning_permit", "approval", {"permits_needed": True}, 5, "zrzy", "", "gxj", "五（二）2 办理规划许可", ""),
    (43, "road_permit", "approval", {"road_excavation": True}, 8, "cgzf", "", "gxj", "五（二）3 临时占用、挖掘城市道路审批", "现场踏勘5个工作日（管线局、市政工程管理局、交管支队），审批出件3个工作日（管线局）"),
    (44, "green_permit", "approval", {"green_space": True}, 10, "xzsp", "", "gxj", "五（二）4 砍伐、移植树木和占用绿地审批", "所有权人意见5个工作日，行政许可批复5个工作日"),
    (45, "green_fee", "approval", {"green_space": True}, 5, None, "项目单位", "cgzf_ldgc", "五（二）4 先搬迁再缴费", "自绿化搬迁完成起计"),
    (50, "construction", "", {"external_works": True}, 10, "psb", "", "fgw", "五（三）外线施工环节", "取得全部许可后开始"),
    (60, "installation", "", {"voltage": "low"}, 2, "psb", "", "gxj", "三 工作目标（低压无外线5个工作日推算）", "本地默认值：政策未单列竣工装表时限"),
    (61, "installation", "", {"voltage": "high"}, 5, "psb", "", "gxj", "本地默认值", "本地默认值：政策未单列竣工装表时限"),
    (90, "overall", "", {"voltage": "low", "external_works": False}, 5, "psb", "", "gxj", "三 工作目标：无外线工程不超过5个工作日", ""),
    (91, "overall", "", {"voltage": "low", "external_works": True, "road_excavation": True}, 30, "psb", "", "gxj", "三 工作目标：有外线工程且需道路开挖不超过30个工作日", ""),
    (92, "overall", "", {"voltage": "low", "external_works": True, "road_excavation": False}, 30, "psb", "", "gxj", "本地默认值", "政策未规定无道路开挖的外线工程，按30个工作日"),
    (93, "overall", "", {"voltage": "high"}, None, "psb", "", "gxj", "", "政策未规定高压全流程时限，只计时不预警"),
]


def seed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    PolicyDocument = apps.get_model("deadlines", "PolicyDocument")
    PolicyRule = apps.get_model("deadlines", "PolicyRule")
    orgs = {o.code: o for o in Organisation.objects.all()}
    policy, _ = PolicyDocument.objects.update_or_create(
        code=POLICY["code"], defaults={**POLICY, "lead_org": orgs.get("gxj")}
    )
    if policy.rules.exists():
        return
    for sort, stage, parent, cond, limit, resp, resp_label, coord, clause, note in RULES:
        PolicyRule.objects.create(
            policy=policy,
            stage=stage,
            parent_stage=parent,
            sort_order=sort,
            voltage=cond.get("voltage", ""),
            power_sources=cond.get("power_sources"),
            external_works=cond.get("external_works"),
            road_excavation=cond.get("road_excavation"),
            green_space=cond.get("green_space"),
            permits_needed=cond.get("permits_needed"),
            limit_working_days=limit,
            responsible_org=orgs.get(resp) if resp else None,
            responsible_label=resp_label,
            coordinating_org=orgs.get(coord) if coord else None,
            warning_working_days=1,
            escalation_working_days=3,
            source_clause=clause,
            note=note,
        )


def unseed(apps, schema_editor):
    apps.get_model("deadlines", "PolicyDocument").objects.filter(code=POLICY["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0002_seed_calendar"), ("accounts", "0002_seed_organisations_and_roles")]
    operations = [migrations.RunPython(seed, unseed)]
