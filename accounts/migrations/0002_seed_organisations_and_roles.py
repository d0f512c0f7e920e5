"""Seed the city's organisations and the roles (呼和浩特市进一步优化电力营商环境实施办法, 2020)."""

from django.db import migrations

# code, name, English name, kind, parent code
ORGANISATIONS = [
    ("psb", "市供电局", "Hohhot Power Supply Bureau", "grid", None),
    ("gxj", "市工信局", "Municipal Bureau of Industry and Information Technology", "supervisor", None),
    ("fgw", "市发展改革委", "Municipal Development and Reform Commission", "supervisor", None),
    ("xzsp", "市行政审批局", "Municipal Administrative Approval Bureau", "department", None),
    ("xzsp_window", "综合受理窗口", "One-stop Window", "window", "xzsp"),
    ("zrzy", "市自然资源局", "Municipal Bureau of Natural Resources", "department", None),
    ("cgzf", "市城管执法局", "Municipal Urban Management Bureau", "department", None),
    ("cgzf_gxj", "管线局", "Pipeline Bureau", "subunit", "cgzf"),
    ("cgzf_ldgc", "绿地广场景观管理局", "Green Space and Squares Bureau", "subunit", "cgzf"),
    ("zjj", "市住建局", "Municipal Bureau of Housing and Urban-Rural Development", "department", None),
    ("zjj_szgc", "市政工程管理局", "Municipal Engineering Administration", "subunit", "zjj"),
    ("jgzd", "市公安局交管支队", "Traffic Police Detachment", "department", None),
    ("ylzx", "市园林建设服务中心", "Municipal Landscaping Service Centre", "department", None),
]

ROLES = ["customer", "psb_staff", "account_manager", "reviewer", "window", "supervisor", "leader", "admin"]


def seed(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    Role = apps.get_model("accounts", "Role")
    for code in ROLES:
        Role.objects.get_or_create(code=code)
    by_code = {}
    for order, (code, name, name_en, kind, parent) in enumerate(ORGANISATIONS):
        org, _ = Organisation.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "parent": by_code.get(parent),
                "sort_order": order * 10,
            },
        )
        by_code[code] = org


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
