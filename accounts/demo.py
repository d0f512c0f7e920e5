"""Demo accounts (SPEC section 6). Other apps add demo data with their own ``demo.seed``."""

from .models import Organisation, Role, RoleCode, User

DEFAULT_PASSWORD = "Hhht-demo-2026"

# username, real name, organisation code, roles, phone
DEMO_ACCOUNTS = [
    ("customer_demo", "张明", None, [RoleCode.CUSTOMER], "13847100001"),
    ("customer_demo2", "李华", None, [RoleCode.CUSTOMER], "13847100002"),
    ("psb_demo", "王客户经理", "psb", [RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER], "13847100003"),
    ("window_demo", "赵窗口", "xzsp", [RoleCode.WINDOW, RoleCode.REVIEWER], "13847100004"),
    ("zrzy_demo", "钱规划", "zrzy", [RoleCode.REVIEWER], "13847100005"),
    ("cgzf_demo", "孙城管", "cgzf", [RoleCode.REVIEWER], "13847100006"),
    ("zjj_demo", "周市政", "zjj", [RoleCode.REVIEWER], "13847100007"),
    ("jgzd_demo", "吴交管", "jgzd", [RoleCode.REVIEWER], "13847100008"),
    ("gxj_demo", "郑督办", "gxj", [RoleCode.SUPERVISOR, RoleCode.LEADER], "13847100009"),
    ("fgw_demo", "冯发改", "fgw", [RoleCode.SUPERVISOR], "13847100010"),
    ("admin_demo", "系统管理员", "gxj", [RoleCode.ADMIN], "13847100011"),
]


def seed_accounts(*, password: str = DEFAULT_PASSWORD) -> list[User]:
    """Create or bring back the demo accounts; running it again changes nothing."""
    orgs = {o.code: o for o in Organisation.objects.all()}
    roles = {r.code: r for r in Role.objects.all()}
    users = []
    for username, real_name, org_code, role_codes, phone in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "real_name": real_name,
                "phone": phone,
                "organisation": orgs.get(org_code) if org_code else None,
                "email": f"{username}@demo.hhht-power.local",
            },
        )
        if created or not user.check_password(password):
            user.set_password(password)
        user.is_staff = RoleCode.ADMIN in role_codes
        user.is_superuser = RoleCode.ADMIN in role_codes
        user.is_active = True
        user.save()
        user.roles.set([roles[c] for c in role_codes])
        users.append(user)
    # The account manager's work phone, shown to customers on their case page.
    User.objects.filter(username="psb_demo", work_phone="").update(work_phone="0471-6931234")
    return users
