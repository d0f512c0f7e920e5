"""Pages of this app: the generated application form 用电申请书 and private document downloads.

The portal's case pages come with the browser-portal issue; these two are what the API links to.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.masking import mask_id_number, mask_phone
from accounts.permissions import can
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
    unmasked = can(request.user, "applications.see_personal_data", application)

    context = {
        "application": application,
        "id_number": application.id_number if unmasked else mask_id_number(application.id_number),
        "contact_phone": application.contact_phone if unmasked else mask_phone(application.contact_phone),
        "materials": [DocumentKind(k).label for k in required_materials(application.voltage)],
        "attached": {d.kind: d for d in application.documents.all()},
        "printed_at": timezone.now(),
        "zero_investment_max_kva": _kva(
            policy_parameter("zero_investment_max_kva", on=application.policy_date)
        ),
    }
    response = render(request, "applications/application_form.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


def _kva(value) -> str:
    return f"{value.normalize():f}"


@login_required
@require_GET
def document_file(request, pk):
    return document_file_response(request.user, pk)
