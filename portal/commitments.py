"""一证受理 in the browser: the generated 承诺书 on the preview and its signature with the submission, and
on the case page what is promised, by when, the customer's upload of it and its credit records."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from applications import promise_services, services
from applications.models import DocumentKind
from applications.promise_selectors import promised_of
from deadlines.models import CreditRecord

from .common import case_or_404


def commitment_context(application) -> dict:
    """The preview's 告知承诺, when the identity proof is there and something else is missing."""
    missing = application.unpromised_missing()
    if not missing or DocumentKind.IDENTITY in missing:
        return {}
    due = promise_services.promise_due(timezone.now())
    return {"commitment_text": promise_services.commitment_text(application, missing, due)}


def promise_context(user, application) -> dict:
    """The case page's promised materials (everyone who sees the case), the customer's upload form and
    the credit records against the customer on this case."""
    promised = promised_of(application)
    if not promised:
        return {}
    context = {
        "promised": [
            {"p": p, "label": DocumentKind(p.kind).label, "due_day": promise_services.last_day(p.due_at)}
            for p in promised
        ]
    }
    if can(user, "applications.supply_promised_materials", application) and application.is_open:
        context["promised_open"] = [row for row in context["promised"] if row["p"].supplied_at is None]
    if application.customer_id == user.pk:
        context["my_credit_records"] = list(
            CreditRecord.objects.filter(
                applicant=user, subject_id=application.pk, kind=CreditRecord.Kind.BROKEN_PROMISE
            )
        )
    return context


def _address(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
@require_POST
def submit_with_commitment(request, pk):
    """提交 with the signed 告知承诺 (the box must be ticked)."""
    application = case_or_404(request.user, pk)
    if request.POST.get("commitment") != "on":
        messages.error(request, _("请阅读并勾选告知承诺后再提交。"))
        return redirect("applications:preview", pk=pk)
    try:
        services.application_transition(
            application_id=application.pk,
            name="submit",
            actor=request.user,
            data={"commitment": True, "request_address": _address(request)},
        )
    except PermissionDenied:
        raise Http404
    except (TransitionNotAllowed, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("applications:preview", pk=pk)
    messages.success(request, _("申请已提交（一证受理），请按承诺期限补交资料。"))
    return redirect("applications:detail", pk=pk)


@login_required
@require_POST
def supply(request, pk):
    """The customer uploads the promised materials (one file per promised kind)."""
    application = case_or_404(request.user, pk)
    ids = []
    try:
        for p in promised_of(application):
            upload = request.FILES.get(f"promised-{p.kind}")
            if p.supplied_at is None and upload:
                ids.append(services.document_upload(owner=request.user, kind=p.kind, file=upload).pk)
        promise_services.promised_materials_supply(
            application_id=application.pk, actor=request.user, documents=ids
        )
    except PermissionDenied:
        raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("applications:detail", pk=pk)
    messages.success(request, _("承诺资料已补交。"))
    return redirect("applications:detail", pk=pk)
