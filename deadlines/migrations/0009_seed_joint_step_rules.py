"""The joint steps inside the permits as rules of the Hohhot 2020 policy, one row per responsible unit
(五（二）3 and 4): the road permit's joint site survey (5) by 管线局, 市政工程管理局 and 交管支队, its
issuance (3) by 城管执法局; the green permit's survey and owner consent (5) by 绿地广场景观管理局 for public
green or the applicant for private, its permit (5) by 行政审批局; the relocation budget by 园林建设服务中心."""

from django.db import migrations

# sort, stage, parent, conditions, limit, responsible, responsible label, coordinating, clause, note
RULES = [
    (431, "road_survey", "road_permit", {"road_excavation": True}, 5, "cgzf_gxj", "", "gxj", "五（二）3 现场踏勘", "管线局"),
    (432, "road_survey", "road_permit", {"road_excavation": True}, 5, "zjj_szgc", "", "gxj", "五（二）3 现场踏勘", "市政工程管理局"),
    (433, "road_survey", "road_permit", {"road_excavation": True}, 5, "jgzd", "", "gxj", "五（二）3 现场踏勘", "交管支队"),
    (434, "road_issue", "road_permit", {"road_excavation": True}, 3, "cgzf", "", "gxj", "五（二）3 审批出件", "自联合踏勘全部完成起计"),
    (441, "green_consent", "green_permit", {"green_space": True}, 5, "cgzf_ldgc", "", "gxj", "五（二）4 所有权人意见（公共绿地）", ""),
    (442, "green_consent", "green_permit", {"green_space": True}, 5, None, "申请人", "gxj", "五（二）4 所有权人意见（非公共绿地）", "申请人自行取得，不记入单位信用"),
    (443, "green_issue", "green_permit", {"green_space": True}, 5, "xzsp", "", "gxj", "五（二）4 行政许可批复", "自所有权人意见取得起计"),
    (446, "relocation_budget", "green_fee", {"green_space": True}, 5, "ylzx", "", "cgzf_ldgc", "五（二）4 出具搬迁预算", "本地默认值：政策未单列时限；自绿地许可批复起计"),
]


def seed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    PolicyDocument = apps.get_model("deadlines", "PolicyDocument")
    PolicyRule = apps.get_model("deadlines", "PolicyRule")
    policy = PolicyDocument.objects.filter(code="hohhot-2020").first()
    if policy is None or policy.rules.filter(stage="road_survey").exists():
        return
    orgs = {o.code: o for o in Organisation.objects.all()}
    for sort, stage, parent, cond, limit, resp, resp_label, coord, clause, note in RULES:
        PolicyRule.objects.create(
            policy=policy,
            stage=stage,
            parent_stage=parent,
            sort_order=sort,
            road_excavation=cond.get("road_excavation"),
            green_space=cond.get("green_space"),
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
    apps.get_model("deadlines", "PolicyRule").objects.filter(
        stage__in=[r[1] for r in RULES], policy__code="hohhot-2020"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0008_joint_step_clocks")]
    operations = [migrations.RunPython(seed, unseed)]
