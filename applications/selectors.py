"""Permission-aware readers of cases, documents and their history.

Anything outside ``applications_visible_to(user)`` does not exist for that user (404 in pages and API).
"""

import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from accounts.masking import mask_id_number, mask_phone
from accounts.models import RoleCode
from accounts.permissions import can
from deadlines import selectors as deadline_selectors
from deadlines.clocks import clocks_for
from deadlines.models import StageClock

from .models import Application, ApplicationState, Document, timeline  # noqa: F401 (re-exported)
from .transitions import USER_TRANSITIONS

OVERALL = "overall"


def application_content_type():
    return ContentType.objects.get_for_model(Application)


def _clocks_of_case():
    return StageClock.objects.filter(subject_type=application_content_type(), subject_id=OuterRef("pk"))


@dataclass(frozen=True)
class Visibility:
    """Which cases a user sees, decided from its roles (``applications_visible_to`` turns it into a
    query).

    ``own``: the customer's own cases. ``submitted``: every case past its draft (power-bureau staff,
    administrators). ``pushed_to``: cases with permit tasks pushed to this organisation or a sub-unit
    (departments). ``coordinated_by``: cases with a stage this organisation or a sub-unit coordinates
    (supervisors). ``own_first``: the queue lists the user's own cases as account manager first.
    """

    user_id: int | None = None
    own: bool = False
    submitted: bool = False
    pushed_to: int | None = None
    coordinated_by: int | None = None
    own_first: bool = False

    @property
    def none(self) -> bool:
        return not (self.own or self.submitted or self.pushed_to or self.coordinated_by)


def visibility(user) -> Visibility:
    """A customer: its own. Power-bureau staff: every submitted case, their own (as account manager)
    first. A department: cases with approval tasks pushed to its organisation or a sub-unit. A
    supervisor: cases with a stage its organisation coordinates. An administrator: every submitted case.
    A user holding several roles sees the union."""
    if not (user and user.is_authenticated and user.is_active):
        return Visibility()
    org = user.organisation_id
    return Visibility(
        user_id=user.pk,
        own=user.has_role(RoleCode.CUSTOMER),
        submitted=can(user, "applications.view_all_applications"),
        pushed_to=org if org and user.has_role(RoleCode.REVIEWER, RoleCode.WINDOW) else None,
        coordinated_by=org if org and user.has_role(RoleCode.SUPERVISOR, RoleCode.LEADER) else None,
        own_first=user.has_role(RoleCode.ACCOUNT_MANAGER),
    )


def applications_visible_to(user) -> QuerySet[Application]:
    """The cases ``user`` may see (``visibility``); the rest do not exist for it (404)."""
    seen = visibility(user)
    qs = Application.objects.all()
    if seen.none:
        return qs.none()
    visible = Q(pk__in=[])
    if seen.own:
        visible |= Q(customer_id=seen.user_id)
    if seen.submitted:
        visible |= ~Q(state=ApplicationState.DRAFT)
    else:
        if seen.pushed_to:
            org = seen.pushed_to
            # Departments see exactly the cases whose permit tasks were pushed to them (or a sub-unit).
            pushed = Q(approval_tasks__department_id=org) | Q(approval_tasks__department__parent_id=org)
            # The units of a joint part (the road permit's site survey, the green owner's consent) too.
            pushed |= Q(approval_tasks__parts__organisation_id=org)
            pushed |= Q(approval_tasks__parts__organisation__parent_id=org)
            visible |= Q(pk__in=Application.objects.filter(pushed).values("pk"))
        if seen.coordinated_by:
            org = seen.coordinated_by
            coordinated = Q(coordinating_org_id=org) | Q(coordinating_org__parent_id=org)
            visible |= Q(Exists(_clocks_of_case().filter(coordinated)))
    qs = qs.filter(visible)
    if seen.own_first:
        qs = qs.annotate(
            mine=Case(
                When(account_manager_id=seen.user_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    return qs


def personal_data_seen(application: Application, user) -> dict[str, str]:
    """The case's ID and phone numbers as ``user`` may read them: whole with the permission
    ``applications.see_personal_data`` (the case's customer, the staff working it), masked otherwise. The
    API, the case page and the printed form all show them through here."""
    if can(user, "applications.see_personal_data", application):
        return {"id_number": application.id_number, "contact_phone": application.contact_phone}
    return {
        "id_number": mask_id_number(application.id_number),
        "contact_phone": mask_phone(application.contact_phone),
    }


CASE_NUMBER = re.compile(r"HHHT-\d{4}-\d{6,}")


def search_q(text: str, *, prefix: str = "") -> Q:
    """The cases a clerk's search box means: a whole case number (as printed, e.g. HHHT-2026-000123, in
    any letter case) is that case, read from the number's unique index; any other text is looked for in
    the numbers, applicants' names and addresses. ``prefix`` reaches the case from another model
    (``"application__"``)."""
    text = text.strip()
    if CASE_NUMBER.fullmatch(text.upper()):
        return Q(**{f"{prefix}number": text.upper()})
    return (
        Q(**{f"{prefix}number__icontains": text})
        | Q(**{f"{prefix}applicant_name__icontains": text})
        | Q(**{f"{prefix}address__icontains": text})
    )


def with_current_stage(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate each case's current stage (``deadlines.selectors.with_current_stage``): ``current_stage``,
    ``current_due_at``, ``current_level``."""
    return deadline_selectors.with_current_stage(qs, application_content_type().pk)


def attach_current_stage(applications: list[Application]) -> list[Application]:
    """Set ``current_stage``, ``current_due_at`` and ``current_level`` on a page of cases in one query
    (``deadlines.selectors.current_stages``)."""
    running = (
        deadline_selectors.current_stages(application_content_type().pk, [a.pk for a in applications])
        if applications
        else {}
    )
    for application in applications:
        clock = running.get(application.pk)
        application.current_stage = clock.stage if clock else None
        application.current_due_at = clock.due_at if clock else None
        application.current_level = clock.level if clock else None
    return applications


def documents_visible_to(user) -> QuerySet[Document]:
    """A customer: its wallet. Power-bureau staff working the cases: the documents attached to them.

    Supervisors, departments and administrators see cases but not the customer's identity and property
    papers (the permit stage shares its own documents through ``approvals``).
    """
    if not (user and user.is_authenticated and user.is_active):
        return Document.objects.none()
    visible = Q(owner_id=user.pk)
    if user.organisation_id and user.has_role(RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER):
        cases = applications_visible_to(user).exclude(customer_id=user.pk).values("pk")
        visible |= Q(
            pk__in=Application.documents.through.objects.filter(application_id__in=cases).values(
                "document_id"
            )
        )
    return Document.objects.filter(visible)


def stages_of(application: Application) -> list:
    """The case's stage clocks (``deadlines.clocks.clocks_for``), the overall clock included."""
    return list(clocks_for(application))


def available_transitions(application: Application, user) -> list[str]:
    """The transitions ``user`` may run on the case now (state, conditions and permission)."""
    names = {t.name for t in application.get_available_user_state_transitions(user)}
    return [name for name in USER_TRANSITIONS if name in names]
