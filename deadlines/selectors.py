"""Permission-aware readers of the deadlines app."""

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from accounts.models import RoleCode

from .models import Notification, PolicyDocument, StageClock, StageCode, Warning


def warnings_visible_to(user) -> QuerySet:
    """The warnings the caller's organisation should see.

    Administrators see all; the working group's lead organisation (市工信局) sees all to its supervisors
    and leaders; anyone else sees the warnings of stages its organisation (or a sub-unit) is responsible
    for or coordinates. Customers see none.
    """
    qs = Warning.objects.select_related("clock", "responsible_org", "coordinating_org", "subject_type")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.has_role(RoleCode.ADMIN):
        return qs
    if not user.organisation_id or not user.is_staff_member:
        return qs.none()
    lead_orgs = set(PolicyDocument.objects.exclude(lead_org=None).values_list("lead_org_id", flat=True))
    if user.organisation_id in lead_orgs and user.has_role(RoleCode.SUPERVISOR, RoleCode.LEADER):
        return qs
    family = user.organisation_family_ids
    return qs.filter(Q(responsible_org_id__in=family) | Q(coordinating_org_id__in=family))


def inbox_for(user) -> QuerySet:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# The current stage of a case (or any subject with clocks): its open stage clock due first, the overall
# clock not being a stage; a clock without a due date comes after those with one, and of two due at the
# same instant the older clock. The API, the queues, the case page and the dashboard all ask here.
CURRENT_STAGE_ORDER = (F("due_at").asc(nulls_last=True), F("pk").asc())


def open_stage_clocks(subject_type_id: int) -> QuerySet[StageClock]:
    """The open stage clocks of one kind of subject (the overall clock excluded)."""
    return StageClock.objects.filter(
        subject_type_id=subject_type_id, finished_at__isnull=True, cancelled_at__isnull=True
    ).exclude(stage=StageCode.OVERALL)


def with_current_stage(qs: QuerySet, subject_type_id: int) -> QuerySet:
    """``qs`` (of subjects) annotated with ``current_stage``, ``current_due_at`` and ``current_level``,
    in SQL, so that a list can filter and sort by them."""
    current = (
        open_stage_clocks(subject_type_id).filter(subject_id=OuterRef("pk")).order_by(*CURRENT_STAGE_ORDER)
    )
    return qs.annotate(
        current_stage=Subquery(current.values("stage")[:1]),
        current_due_at=Subquery(current.values("due_at")[:1]),
        current_level=Subquery(current.values("level")[:1]),
    )


def current_stages(subject_type_id: int, subject_ids) -> dict[int, StageClock]:
    """The current stage clock of each of ``subject_ids`` that has one, in one query (for a page)."""
    found: dict[int, StageClock] = {}
    clocks = open_stage_clocks(subject_type_id).filter(subject_id__in=list(subject_ids))
    for clock in clocks.order_by("subject_id", *CURRENT_STAGE_ORDER).only(
        "subject_id", "stage", "due_at", "level"
    ):
        found.setdefault(clock.subject_id, clock)
    return found
