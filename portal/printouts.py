"""Pages of this app: the generated application form 用电申请书 and private document downloads.

The portal's case pages come with the browser-portal issue; these two are what the API links to.
"""

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from applications import selectors
from applications.api import document_file_response
from applications.models import DocumentKind, required_materials
from applications.validation import policy_parameter


@login_required
@require_GET
def application_form(request, pk):
    """The printable application form, filled by the portal from the application (404 outside one's view)."""
    application = get_object_or_404(
        selectors.applications_visible_to(request.user).select_related("customer", "account_manager"), pk=pk
    )

    context = {
        "application": application,
        **selectors.personal_data_seen(application, request.user),
        "materials": [DocumentKind(k).label for k in required_materials(application.voltage)],
        "attached": {d.kind: d for d in application.documents.all()},
        "printed_at": timezone.now(),
        "lookup": lookup_qr(request, application.number) if application.number else None,
        "zero_investment_max_kva": _kva(
            policy_parameter("zero_investment_max_kva", on=application.policy_date)
        ),
    }
    response = render(request, "applications/application_form.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def lookup_qr(request, number) -> dict:
    """The 办件查询 address of a case and its QR code (inline SVG, drawn by segno on the server)."""
    url = request.build_absolute_uri(reverse("lookup") + "?" + urlencode({"number": number}))
    svg = segno.make(url, error="m").svg_inline(scale=3, title=number)
    return {"url": url, "svg": mark_safe(svg)}  # noqa: S308 -- segno's own markup of our own URL


def _kva(value) -> str:
    return f"{value.normalize():f}"


@login_required
@require_GET
def document_file(request, pk):
    return document_file_response(request.user, pk)
