from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def calendar_banner(request) -> list[dict]:
    """From 1 November, while next year's calendar is missing: administrators (who enter it) see what to
    do; supervisors a note that next year's dates are provisional. Nobody else can act on it."""
    from django.utils import timezone
    from django.utils.translation import gettext

    from .calendar import next_year_missing

    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return []
    admin = user.has_role("admin") or user.is_superuser
    supervising = user.has_role("supervisor", "leader")
    if not (admin or supervising):
        return []
    year = next_year_missing(timezone.localdate())
    if year is None:
        return []
    if admin:
        text = gettext(
            "{year} 年节假日安排（国务院办公厅通知）尚未录入：{year} 年的到期时间为临时推算"
            "（仅按周末和法定节假日），请在管理后台“日历年度”中录入。"
        )
        return [{"level": "warning", "text": text.format(year=year)}]
    text = gettext(
        "说明：{year} 年节假日安排尚未公布录入，{year} 年的到期时间暂按临时日历推算（标有“临时推算”），"
        "录入后自动重算。"
    )
    return [{"level": "info", "text": text.format(year=year)}]


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = _("时限与预警")

    def ready(self):
        from accounts.navigation import register_banner

        register_banner(calendar_banner)
