"""The customer's guided application (new, edit, the field checks, the preview), My applications and the
document wallet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from accounts.permissions import can
from applications import selectors, services
from applications import validation as v
from applications.api import document_file_response
from applications.forms import (
    APPLICATION_FIELDS,
    ApplicationForm,
    apply_errors,
    materials_explained,
    parse_valid_until,
    uploadable_kinds,
)
from applications.models import (
    Business,
    Document,
    DocumentKind,
    Voltage,
)
from applications.satisfaction import SatisfactionRating
from applications.transitions import BY_NAME
from hhht_power.text import enumeration

from . import printouts as form_views
from .commitments import commitment_context
from .common import PAGE_SIZE, S, case_or_404, collect_documents, detail_queryset, list_row, materials_context


# Customers: the guided application --------------------------------------------------------------------
def _application_page(request, *, instance=None):
    if instance is None and not can(request.user, "applications.create_application"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    voltage = source.get("voltage") or (instance.voltage if instance else Voltage.LOW)
    attached = {d.kind: d.pk for d in instance.documents.all()} if instance else {}
    if request.htmx and request.method == "GET" and request.GET.get("part") == "voltage":
        context = {
            "voltage": voltage,
            "oob": True,
            "materials": materials_context(request, voltage, attached=attached),
        }
        context["form"] = ApplicationForm(request.GET)
        return render(request, "applications/apply.html#voltage_dependent", context)

    initial = (
        {f: getattr(instance, f) for f in APPLICATION_FIELDS} if instance else {"business": Business.NEW}
    )
    if instance and instance.power_sources is not None:
        initial["power_sources"] = str(instance.power_sources)
    form = ApplicationForm(request.POST if request.method == "POST" else None, initial=initial)
    material_errors = {}
    status = 200
    if request.method == "POST":
        application, material_errors = _save_application(request, form, instance=instance)
        if application is not None:
            return redirect("applications:preview", pk=application.pk)
        status = 400
    context = {
        "form": form,
        "instance": instance,
        "voltage": voltage,
        "materials": materials_context(request, voltage, attached=attached, errors=material_errors),
        "materials_have_errors": bool(material_errors),
    }
    return render(request, "applications/apply.html", context, status=status)


def _save_application(request, form, *, instance):
    data = form.service_data()
    customer = instance.customer if instance else request.user
    try:
        # The service's own validation first, so no file is stored for an application that cannot be.
        v.clean_application(customer=customer, data=data, instance=instance)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, {}
    ids, material_errors = collect_documents(request, uploadable_kinds(data["voltage"]))
    if material_errors:
        return None, material_errors
    data["documents"] = ids
    try:
        if instance is None:
            application = services.application_create(customer=request.user, data=data)
        else:
            application = services.application_update(
                application_id=instance.pk, actor=request.user, data=data
            )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, {}
    except TransitionNotAllowed as exc:
        form.add_error(None, str(exc))
        return None, {}
    return application, {}


@login_required
def create(request):
    """在线办电: the guided application form (new or increase, LV or HV, applicant, address, capacity)."""
    return _application_page(request)


@login_required
def edit(request, pk):
    """The customer edits its draft (or returned) application with the same form."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
    if not can(request.user, "applications.edit_application", application):
        raise Http404
    if application.state not in (S.DRAFT, S.RETURNED):
        return redirect("applications:detail", pk=pk)
    return _application_page(request, instance=application)


@login_required
@require_POST
def validate_field(request):
    """htmx: check one field of the application form as it is typed (``validation.clean_application``)."""
    field = request.htmx.trigger_name if request.htmx else request.POST.get("_field")
    if field not in APPLICATION_FIELDS:
        field = None
    instance = None
    if request.POST.get("_instance", "").isdigit():
        instance = (
            selectors.applications_visible_to(request.user)
            .filter(customer_id=request.user.pk, pk=request.POST["_instance"])
            .first()
        )
    data = ApplicationForm(request.POST).service_data()
    problems = []
    try:
        v.clean_application(customer=request.user, data=data, instance=instance)
    except ValidationError as exc:
        problems = [m for e in exc.error_dict.get(field, []) for m in e.messages] if field else []
    context = {"field_name": field, "problems": problems, "checked": bool(field and data.get(field))}
    return render(request, "applications/apply.html#field_feedback", context)


@login_required
def preview(request, pk):
    """The generated application form 用电申请书 and the materials, before the customer submits."""
    application = case_or_404(request.user, pk, detail_queryset(request.user))
    if application.customer_id != request.user.pk or application.state != S.DRAFT:
        return redirect("applications:detail", pk=pk)
    attached = {d.kind: d for d in application.documents.all()}
    context = {
        "application": application,
        "materials": [
            {**m, "document": attached.get(m["kind"])} for m in materials_explained(application.voltage)
        ],
        "missing": enumeration(DocumentKind(k).label for k in application.missing_materials()),
        "submit_form": BY_NAME["submit"].make_form(application),
        **commitment_context(application),
    }
    return render(request, "applications/preview.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def form_frame(request, pk):
    """The printable application form, framed in the preview (same origin only)."""
    return form_views.application_form(request, pk)


@login_required
@require_GET
@xframe_options_sameorigin
def document_preview(request, pk):
    """A document shown inside the case page (the permission-checked download, framed by our pages)."""
    return document_file_response(request.user, pk)


# Customers: my applications and the wallet ------------------------------------------------------------
@login_required
@require_GET
def mine(request):
    """我的申请: the customer's cases, the current stage and its promised date, what to do next."""
    qs = selectors.with_current_stage(
        selectors.applications_visible_to(request.user).filter(customer_id=request.user.pk)
    ).annotate(rated=Exists(SatisfactionRating.objects.filter(application_id=OuterRef("pk"))))
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [list_row(app) for app in page.object_list]
    return render(request, "applications/mine.html", {"page": page, "rows": rows})


@login_required
def wallet(request):
    """资料库: the customer's documents with their validity; upload a new one."""
    if not can(request.user, "applications.upload_document"):
        raise PermissionDenied
    errors, status = {}, 200
    if request.method == "POST":
        kind = request.POST.get("kind") or ""
        valid_until, problem = parse_valid_until(request.POST.get("valid_until"))
        if problem:
            errors["valid_until"] = [problem]
        else:
            try:
                services.document_upload(
                    owner=request.user, kind=kind, file=request.FILES.get("file"), valid_until=valid_until
                )
            except ValidationError as exc:
                errors = {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
        if not errors:
            messages.success(request, _("资料已上传到资料库。"))
            return redirect("applications:wallet")
        status = 400
    today = timezone.localdate()
    docs = (
        Document.objects.filter(owner=request.user)
        .annotate(used=Count("applications"))
        .order_by("kind", "-uploaded_at", "-pk")
    )
    page = Paginator(docs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for doc in page.object_list:
        if doc.rejected_at:
            state = ("rejected", _("已退回"))
        elif doc.valid_until and doc.valid_until < today:
            state = ("expired", _("已过期"))
        else:
            state = ("valid", _("有效"))
        rows.append({"document": doc, "state": state[0], "state_label": state[1]})
    context = {
        "page": page,
        "rows": rows,
        "errors": errors,
        "kinds": [(k, DocumentKind(k).label) for k in uploadable_kinds(Voltage.HIGH)],
        "posted": request.POST,
    }
    return render(request, "applications/wallet.html", context, status=status)


@login_required
@require_POST
def wallet_delete(request, pk):
    """Remove a wallet document that no application uses (frees the customer's quota)."""
    try:
        services.document_delete(owner=request.user, document_id=pk)
    except Document.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("资料已删除。"))
    return redirect("applications:wallet")
