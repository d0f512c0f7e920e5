"""The portal's navigation and banners, assembled per user.

Apps contribute banners by registering a callable ``(request) -> list[dict]`` with
``register_banner``; each dict has ``level`` (info|warning|danger) and ``text``.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import RoleCode

# (url name, label, roles that see it; None = everyone signed in, "public" = also anonymous)
NAV_ITEMS = [
    ("applications:mine", _("我的申请"), {RoleCode.CUSTOMER}),
    ("applications:create", _("在线办电"), {RoleCode.CUSTOMER}),
    ("applications:wallet", _("资料库"), {RoleCode.CUSTOMER}),
    ("applications:queue", _("工单队列"), {RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER}),
    ("approvals:queue", _("审批任务"), {RoleCode.REVIEWER, RoleCode.WINDOW}),
    ("supervision:dashboard", _("监管看板"), {RoleCode.SUPERVISOR, RoleCode.LEADER}),
    # The responsible units answer 督办 orders (supervisors reach them from the dashboard).
    (
        "supervision:orders",
        _("督办单"),
        {RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER, RoleCode.REVIEWER, RoleCode.WINDOW},
    ),
    ("deadlines:inbox", _("消息"), None),
    ("supervision:guide", _("办电指南"), "public"),
    ("lookup", _("办件查询"), "public"),
    ("admin:index", _("管理后台"), {RoleCode.ADMIN}),
]

_BANNER_PROVIDERS = []


def register_banner(provider):
    if provider not in _BANNER_PROVIDERS:
        _BANNER_PROVIDERS.append(provider)
    return provider


def nav_for(user) -> list[dict]:
    items = []
    signed_in = bool(getattr(user, "is_authenticated", False))
    for name, label, roles in NAV_ITEMS:
        if roles == "public":
            visible = True
        elif roles is None:
            visible = signed_in
        else:
            visible = signed_in and user.has_role(*roles)
        if not visible:
            continue
        try:
            items.append({"url": reverse(name), "label": label, "name": name})
        except NoReverseMatch:
            continue  # the page is not built yet
    return items


def banners_for(request) -> list[dict]:
    found = []
    for provider in _BANNER_PROVIDERS:
        found.extend(provider(request) or [])
    return found
