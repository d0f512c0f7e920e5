from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def calendar_banner(request) -> list[dict]:
    """From 1 November, staff, supervisors and administrators see that next year's calendar is missing."""
    from django.utils import timezone
    from django.utils.translation import gettext

    from .calendar import next_year_missing

    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False) or not (user.is_staff_member or user.has_role("admin")):
        return []
    year = next_year_missing(timezone.localdate())
    if year is None:
        return []
    return [
        {
            "level": "warning",
            "text": gettext(
                "{year} 年节假日安排（国务院办公厅通知）尚未录入：{year} 年的到期时间为临时推算"
                "（仅按周末和法定节假日），请系统管理员在管理后台“日历年度”中录入。"
            ).format(year=year),
        }
    ]


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = _("时限与预警")

    def ready(self):
        from accounts.navigation import register_banner

        register_banner(calendar_banner)
