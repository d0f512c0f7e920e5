"""The in-app inbox (消息): one page and its htmx fragment; marking as read is a POST."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import selectors as case_selectors
from applications.models import Application
from deadlines import notifications, selectors

PAGE_SIZE = 20


def _attach_cases(rows) -> None:
    """Each message about a case carries that case (number and link), read in one query for the page."""
    ct_id = case_selectors.application_content_type().pk
    ids = {n.subject_id for n in rows if n.subject_type_id == ct_id and n.subject_id}
    cases = Application.objects.only("pk", "number").in_bulk(ids) if ids else {}
    for note in rows:
        note.case = cases.get(note.subject_id) if note.subject_type_id == ct_id else None


@login_required
def inbox(request):
    qs = selectors.inbox_for(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _attach_cases(rows)
    context = {
        "page": page,
        "rows": rows,
        "unread": selectors.unread_count(request.user),
        "only_unread": only_unread,
        "querystring": "unread=1" if only_unread else "",
    }
    template = "deadlines/inbox.html#inbox-list" if request.htmx else "deadlines/inbox.html"
    return render(request, template, context)


@login_required
@require_POST
def mark_read(request):
    """Mark one (``id``) or every unread message (``all``) of the caller as read."""
    if request.POST.get("all"):
        count = notifications.mark_read(user=request.user)
        messages.success(request, _("已将 %(n)s 条消息标记为已读。") % {"n": count})
    else:
        try:
            pk = int(request.POST.get("id", ""))
        except ValueError:
            raise Http404
        note = get_object_or_404(selectors.inbox_for(request.user), pk=pk)
        notifications.mark_read(user=request.user, ids=[note.pk])
        target = note.url
        if (
            request.POST.get("open")
            and target
            and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return redirect(target)
    if request.htmx:
        return inbox(request)
    return redirect("deadlines:inbox")
