"""Permission-aware readers of the deadlines app."""

from django.db.models import Q, QuerySet

from accounts.models import RoleCode

from .models import Notification, PolicyDocument, Warning


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
