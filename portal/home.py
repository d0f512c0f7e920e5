"""The landing page: what the portal does, how to apply, where to get help, the policy in force, and
live figures. Signed-in staff go straight to their workspace."""

from django.db.models import Avg, Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.navigation import nav_for
from applications import selectors
from applications.models import OPEN_STATES, Application, ApplicationState
from deadlines.models import PolicyDocument, StageClock, StageCode

HOTLINE = "95598"

# The bureau's service halls 供电营业厅 (also the one-stop window in the government service centre).
SERVICE_HALLS = (
    (_("呼和浩特市政务服务中心 · 供电综合窗口"), _("工作日 9:00—12:00，13:30—17:30")),
    (_("新城区供电营业厅"), _("每日 9:00—17:00")),
    (_("回民区供电营业厅"), _("每日 9:00—17:00")),
    (_("玉泉区供电营业厅"), _("每日 9:00—17:00")),
    (_("赛罕区供电营业厅"), _("每日 9:00—17:00")),
    (_("各旗县供电分公司营业厅"), _("工作日 9:00—17:00")),
)


def live_figures(today) -> dict:
    """This year's figures from the cases themselves: connected, mean working days, on time, in progress."""
    year_start = today.replace(month=1, day=1)
    overall = StageClock.objects.filter(
        subject_type=selectors.application_content_type(),
        stage=StageCode.OVERALL,
        finished_at__date__gte=year_start,
    ).aggregate(
        n=Count("id"),
        on_time=Count("id", filter=Q(finished_late=False)),
        mean=Avg("elapsed_working_days"),
    )
    cases = Application.objects.aggregate(
        connected=Count("id", filter=Q(state=ApplicationState.CONNECTED, connected_at__date__gte=year_start)),
        open=Count("id", filter=Q(state__in=OPEN_STATES) & ~Q(state=ApplicationState.DRAFT)),
    )
    return {
        "year": today.year,
        "connected": cases["connected"],
        "open": cases["open"],
        "mean_days": round(overall["mean"], 1) if overall["mean"] is not None else None,
        "on_time_pct": round(100 * overall["on_time"] / overall["n"]) if overall["n"] else None,
    }


def home(request):
    """Landing page: each staff role goes to its own workspace; customers and visitors see the portal."""
    items = nav_for(request.user)
    user = request.user
    if user.is_authenticated and user.is_staff_member:
        first = next(
            (i for i in items if i["name"] not in ("supervision:guide", "deadlines:inbox", "lookup")), None
        )
        if first and first["name"] != "admin:index":
            return redirect(first["url"])
    context = {
        "items": items,
        "hotline": HOTLINE,
        "halls": SERVICE_HALLS,
        "policies": list(PolicyDocument.objects.order_by("-effective_from")[:5]),
        "figures": live_figures(timezone.localdate()),
    }
    return render(request, "home.html", context)
