"""Permission-aware readers of permit tasks and the shared documents of the permit stage.

A task outside ``tasks_visible_to(user)`` does not exist for that user (404), and so does a shared
document outside ``shared_documents_visible_to(user)``.
"""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleCode
from accounts.permissions import can
from applications.selectors import applications_visible_to
from deadlines.calendar import add_working_days_lenient, end_of_day, local_date
from deadlines.policy import rule_for_stage

from .models import (
    OPEN_TASK_STATES,
    PERMIT_KINDS,
    ApprovalTask,
    SharedDocument,
    TaskAuditEntry,
    TaskComment,
    TaskKind,
    TaskPart,
    TaskState,
    permits_needed,
)
from .transitions import CASE_STATES, USER_TRANSITIONS

K = TaskKind
T = TaskState


def _department_tasks(family) -> Q:
    """Tasks pushed to these organisations, as the task's department or as a unit of a joint part."""
    return Q(department_id__in=family) | Q(
        pk__in=TaskPart.objects.filter(organisation_id__in=family).values("task_id")
    )


def tasks_visible_to(user) -> QuerySet[ApprovalTask]:
    """The tasks ``user`` may see.

    A department (reviewer or window staff): the tasks pushed to its organisation or a sub-unit,
    joint parts included (the window: the intake tasks). A supervisor: the tasks whose stage its
    organisation coordinates. Power-bureau staff: the tasks of the cases they see. An administrator:
    every task. A customer: none (it sees ``permit_stage_summary``).
    """
    qs = ApprovalTask.objects.all()
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if can(user, "approvals.view_all_tasks"):
        return qs.filter(application_id__in=applications_visible_to(user).values("pk"))
    family = user.organisation_family_ids
    if not family:
        return qs.none()
    visible = Q(pk__in=[])
    if user.has_role(RoleCode.REVIEWER, RoleCode.WINDOW):
        visible |= _department_tasks(family)
    if user.has_role(RoleCode.SUPERVISOR, RoleCode.LEADER):
        visible |= Q(clock__coordinating_org_id__in=family)
    return qs.filter(visible)


def involved_in(user, application_id) -> bool:
    """True when ``user`` works the permit stage of that case: power-bureau staff who see the case, or a
    department with a task (or a joint part) of it. Supervisors read tasks, not the shared documents."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return _involved_application_ids(user).filter(application_id=application_id).exists()


def _involved_application_ids(user) -> QuerySet:
    if can(user, "approvals.view_all_tasks"):
        return ApprovalTask.objects.filter(
            application_id__in=applications_visible_to(user).values("pk")
        ).values("application_id")
    family = user.organisation_family_ids
    if family and user.has_role(RoleCode.REVIEWER, RoleCode.WINDOW):
        return ApprovalTask.objects.filter(_department_tasks(family)).values("application_id")
    return ApprovalTask.objects.none().values("application_id")


def shared_documents_visible_to(user) -> QuerySet[SharedDocument]:
    """The shared permit documents of every case ``user`` works the permit stage of, all versions: the
    departments of the case and the power bureau only (an administrator sees the tasks, not the files)."""
    if not can(user, "approvals.view_shared_documents"):
        return SharedDocument.objects.none()
    return SharedDocument.objects.filter(application_id__in=_involved_application_ids(user))


def task_list(user) -> QuerySet[ApprovalTask]:
    """The list of tasks for ``user`` with what a list shows (case, department, clock) in one query."""
    return (
        tasks_visible_to(user)
        .select_related("application", "department", "clock")
        .order_by("-created_at", "-id")
    )


def task_detail(user, pk) -> ApprovalTask:
    """One visible task with its parts, comments, history and the case's shared documents."""
    return (
        tasks_visible_to(user)
        .select_related("application", "department", "clock")
        .prefetch_related(
            Prefetch("parts", queryset=TaskPart.objects.select_related("organisation", "done_by")),
            Prefetch("comments", queryset=TaskComment.objects.select_related("author")),
            Prefetch("audit_entries", queryset=TaskAuditEntry.objects.select_related("actor")),
        )
        .get(pk=pk)
    )


def documents_of_case(user, application_id) -> list[SharedDocument]:
    """The shared documents of one case, newest version first per (kind, title); empty for a user who
    does not work that case's permit stage (a supervisor, say)."""
    return list(
        shared_documents_visible_to(user)
        .filter(application_id=application_id)
        .select_related("uploaded_by", "task")
        .order_by("kind", "title", "-version")
    )


def available_transitions(task: ApprovalTask, user) -> list[str]:
    """The transitions ``user`` may run on the task now (task state, conditions, permission, case state)."""

    names = {t.name for t in task.get_available_user_state_transitions(user)}
    state = task.application.state
    return [n for n in USER_TRANSITIONS if n in names and state in CASE_STATES[n]]


def tasks_of_case(application) -> list[ApprovalTask]:
    """Every task of a case (all rounds) with its clock and department: what staff and supervisors see."""
    return list(
        ApprovalTask.objects.filter(application=application)
        .select_related("department", "clock")
        .order_by("round", "id")
    )


STAGE_LABEL = _("行政审批")
SUMMARY_TEXT = {
    "waiting": _("行政审批办理中，预计 %(date)s 前办结"),
    "done": _("行政审批已办结"),
    "refused": _("行政审批未通过，外线方案重新设计中"),
}


def permit_stage_summary(application, tasks=None) -> dict | None:
    """The permit stage as the customer sees it: one line, with the date promised by the slowest permit.

    Returns None for a case without permits; else ``{"stage", "state", "due_at", "provisional",
    "text"}`` where ``state`` is ``waiting`` (filed, permits running), ``done`` or ``refused`` (back to
    design). While the window has not pushed the permits yet, the promise is the intake's due date plus
    the longest limit of the permits the case needs. ``tasks`` may be given (all tasks of the case) to
    save the query on list pages.
    """
    tasks = tasks_of_case(application) if tasks is None else tasks
    if not tasks:
        return None
    current = max(t.round for t in tasks)
    this_round = [t for t in tasks if t.round == current and t.kind != K.GREEN_FEE]
    needed = set(permits_needed(application))
    granted = {t.kind for t in tasks if t.kind in PERMIT_KINDS and t.state == T.GRANTED}
    if needed and needed <= granted:
        state = "done"
    elif any(t.state == T.REFUSED for t in this_round) or application.state == "designing":
        state = "refused"
    else:
        state = "waiting"
    due_at, provisional = None, False
    if state == "waiting":
        due_at, provisional = _promised(application, this_round, needed)
    elif state == "done":
        finished = [
            t.clock.finished_at for t in tasks if t.kind in PERMIT_KINDS and t.clock and t.clock.finished_at
        ]
        due_at = max(finished) if finished else None
    text = SUMMARY_TEXT[state]
    if due_at is not None and state == "waiting":
        last_day = local_date(due_at - timedelta(microseconds=1))
        text = text % {"date": f"{last_day:%Y-%m-%d}"}
    return {
        "stage": str(STAGE_LABEL),
        "state": state,
        "due_at": due_at,
        "provisional": provisional,
        "text": str(text),
    }


def _promised(application, this_round, needed) -> tuple[datetime | None, bool]:
    permits = [t for t in this_round if t.kind in PERMIT_KINDS and t.state in (*OPEN_TASK_STATES, T.GRANTED)]
    clocks = [t.clock for t in permits if t.clock is not None]
    intake = next((t for t in this_round if t.kind == K.WINDOW_INTAKE), None)
    if intake is not None and intake.state in OPEN_TASK_STATES and intake.clock is not None:
        # Not pushed yet: the intake's deadline plus the longest limit of the permits to come.

        longest = 0
        for kind in needed:
            rule = rule_for_stage(intake.clock.policy, application.case_facts(), kind)
            if rule and rule.limit_working_days:
                longest = max(longest, rule.limit_working_days)

        start = local_date(intake.clock.due_at - timedelta(microseconds=1))
        due = add_working_days_lenient(start, longest)
        return end_of_day(due.day), bool(due.provisional or intake.clock.provisional)
    open_clocks = [c for c in clocks if c.finished_at is None and c.cancelled_at is None]
    candidates = open_clocks or clocks
    dated = [c for c in candidates if c.due_at is not None]
    if not dated:
        return None, False
    slowest = max(dated, key=lambda c: c.due_at)
    return slowest.due_at, slowest.provisional
