"""The only writers of permit tasks, their parts, comments and shared documents.

Every task service locks the case row first, then the task: all the tasks of one case are worked one at
a time, so the join (every required permit granted → ``application_permits_granted``) runs exactly once,
even when the last two permits are granted at the same moment. Each transition writes one append-only
``TaskAuditEntry``; notifications are rows in the same transaction, delivered after commit.
"""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from accounts.models import Organisation, RoleCode, User
from accounts.permissions import can
from applications.models import Application, ApplicationState
from applications.services import application_permit_refused, application_permits_granted
from applications.validation import check_file
from deadlines import clocks
from deadlines.clocks import clocks_for
from deadlines.notifications import notify
from hhht_power.fsm import require_state
from hhht_power.logs import bind_case
from hhht_power.media import save_with_file

from .models import (
    ISSUE_STAGES,
    OPEN_TASK_STATES,
    PART_STAGES,
    RELOCATION_BUDGET_STAGE,
    TASK_DEPARTMENTS,
    ApprovalTask,
    GreenOwner,
    SharedDocument,
    SharedDocumentKind,
    TaskAuditEntry,
    TaskComment,
    TaskKind,
    TaskPart,
    TaskState,
    joint_stages,
    parts_of,
    permits_needed,
)
from .selectors import involved_in, tasks_visible_to
from .transitions import CASE_STATES, USER_TRANSITIONS

logger = logging.getLogger(__name__)
K = TaskKind
T = TaskState
A = ApplicationState

__all__ = [
    "TransitionNotAllowed",
    "UnknownTransition",
    "comment_add",
    "permits_file",
    "shared_document_upload",
    "task_transition",
]

# Error codes (tests and clients reuse them).
REQUIRED = "required"
INVALID_CHOICE = "invalid_choice"
TOO_LONG = "too_long"
FILE_REQUIRED = "file_required"
FILE_TOO_LARGE = "file_too_large"
FILE_TYPE = "file_type"
PARTS_PENDING = "parts_pending"
CASE_STATE = "case_state"


PUSHED_MESSAGE = _("用电申请 %(number)s 的“%(task)s”已推送至贵单位，请在时限内办理。")
CLOSED_MESSAGES = {
    ApplicationState.WITHDRAWN: _("用电申请 %(number)s 已撤回，“%(task)s”已撤销，无需继续办理。"),
    ApplicationState.TERMINATED: _("用电申请 %(number)s 已终止办理，“%(task)s”已撤销，无需继续办理。"),
}
RETURNED_MESSAGE = _("用电申请 %(number)s 的“%(task)s”被退回补正：%(reason)s")
FEE_MESSAGE = _("用电申请 %(number)s 绿化搬迁已完成，请在时限内缴纳绿地补偿费和树木移植费。")


class UnknownTransition(Exception):
    """No task transition of that name can be asked for."""


def _err(message, code, params=None):
    return ValidationError(message, code=code, params=params)


# Filing ------------------------------------------------------------------------------------------------
def permits_file(*, application, actor, at: datetime | None = None) -> ApprovalTask:
    """File the permits of a case at the one-stop window: opens the ``window_intake`` task (a new round).

    Called by the case's ``finish_design`` transition, inside its transaction (the case row is locked and
    in ``approving``). ``at`` defaults to the start of the case's approval clock (the instant of that
    transition), else now. Tasks still open from an earlier round are withdrawn and their clocks
    cancelled; permits granted in an earlier round stay granted and are not filed again.
    """
    at = at or _approval_started_at(application) or timezone.now()
    _withdraw_open(application, actor=actor, at=at, reason=str(_("重新报审")))
    last_round = ApprovalTask.objects.filter(application=application).aggregate(m=Max("round"))["m"] or 0
    task = _task_create(application, kind=K.WINDOW_INTAKE, round_=last_round + 1, actor=actor, at=at)
    granted = sorted(_granted_kinds(application))
    TaskAuditEntry.record(
        task, actor=actor, name="file", from_state="", at=at, data={"round": task.round, "granted": granted}
    )
    _notify_department(task, at=at)
    return task


def _approval_started_at(application):

    clock = clocks_for(application).filter(stage="approval", finished_at=None, cancelled_at=None).last()
    return clock.started_at if clock else None


def _task_create(application, *, kind, round_, actor, at, green_owner="") -> ApprovalTask:
    department = Organisation.objects.get(code=TASK_DEPARTMENTS[kind])
    task = ApprovalTask.objects.create(
        application=application,
        kind=kind,
        round=round_,
        department=department,
        green_owner=green_owner,
        created_at=at,
    )
    codes = [code for _k, code in parts_of(kind, green_owner) if code]
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    parts = TaskPart.objects.bulk_create(
        [
            TaskPart(task=task, kind=part_kind, organisation=orgs[code] if code else None)
            for part_kind, code in parts_of(kind, green_owner)
        ]
    )
    assignee = application.account_manager if kind == K.GREEN_FEE else None

    task.clock = clocks.clock_start(
        subject=application,
        stage=kind,
        facts=application.case_facts(),
        policy_date=application.policy_date,
        at=at,
        actor=actor,
        assignee=assignee,
    )
    task.save(update_fields=["clock"])
    for part in parts:
        _joint_clock_start(application, PART_STAGES[kind], at=at, actor=actor, unit=part.organisation_id)
    return task


def _joint_clock_start(application, stage, *, at, actor, unit=None, by_unit=True):
    """Start a joint step's clock: one unit's (``by_unit``), or the step's own. A policy without rows for
    the step times only the permit as a whole."""
    facts, policy_date = application.case_facts(), application.policy_date
    try:
        if by_unit:
            clocks.part_clock_start(
                subject=application,
                stage=stage,
                organisation_id=unit,
                facts=facts,
                policy_date=policy_date,
                at=at,
                actor=actor,
            )
        else:
            clocks.clock_start(
                subject=application, stage=stage, facts=facts, policy_date=policy_date, at=at, actor=actor
            )
    except clocks.NoRuleApplies:
        logger.info("no rule times %s of case %s", stage, application.pk)


def _joint_clock_finish(application, stage, *, at, actor, unit=None, by_unit=True):
    try:
        if by_unit:
            clocks.part_clock_finish(
                subject=application, stage=stage, organisation_id=unit, at=at, actor=actor
            )
        else:
            clocks.clock_finish(subject=application, stage=stage, at=at, actor=actor)
    except clocks.ClockNotRunning:
        pass  # not timed under this policy, or cancelled with the case


# Transitions -------------------------------------------------------------------------------------------
def task_transition(
    *, task_id: int, name: str, actor, data: dict | None = None, at: datetime | None = None
) -> ApprovalTask:
    """Run the transition ``name`` of a task for ``actor``.

    Raises UnknownTransition (no such name), PermissionDenied (not the actor's task or role),
    TransitionNotAllowed (not from the current state of the task or of the case, joint parts not done,
    or lost a race) and ValidationError (bad data).
    """
    if name not in USER_TRANSITIONS:
        raise UnknownTransition(name)
    data = data or {}
    at = at or timezone.now()
    with transaction.atomic():
        application_id = ApprovalTask.objects.values_list("application_id", flat=True).get(pk=task_id)
        # The case row first: every task of a case is worked one at a time (the join runs once).
        application = Application.objects.select_for_update(of=("self",)).get(pk=application_id)
        bind_case(application)
        task = ApprovalTask.objects.select_for_update(of=("self",)).prefetch_related("parts").get(pk=task_id)
        task.application = application
        if not can(actor, f"approvals.{name}", task):
            raise PermissionDenied
        require_state(task, name)
        method = getattr(task, name)
        if application.state not in CASE_STATES[name]:
            raise TransitionNotAllowed(
                _("用电申请当前处于“%(state)s”，不能执行此操作。")
                % {"state": application.get_state_display()}
            )
        if not can_proceed(method):
            if name == "grant" and not task.parts_done():
                raise TransitionNotAllowed(_("联合踏勘或所有权人意见尚未全部完成，不能出件。"))
            raise TransitionNotAllowed(_("当前不能执行此操作。"))
        _HANDLERS[name](task, application, actor=actor, data=data, at=at)
    return task


def _accept_filing(task, application, *, actor, data, at):
    needed = permits_needed(application)
    green_owner = ""
    if K.GREEN_PERMIT in needed:
        green_owner = str(data.get("green_owner") or GreenOwner.PUBLIC)
        if green_owner not in GreenOwner.values:
            raise ValidationError(
                {"green_owner": [_err(_("请选择公共绿地或单位附属绿地。"), INVALID_CHOICE)]}
            )
    granted = _granted_kinds(application)
    pushed = [k for k in needed if k not in granted]
    _run(task, "accept_filing", actor=actor, at=at, data={"pushed": pushed, "carried_over": sorted(granted)})
    _finish_clock(task, application, actor=actor, at=at)
    for kind in pushed:
        new = _task_create(
            application,
            kind=kind,
            round_=task.round,
            actor=actor,
            at=at,
            green_owner=green_owner if kind == K.GREEN_PERMIT else "",
        )
        TaskAuditEntry.record(new, actor=actor, name="push", from_state="", at=at, data={"round": new.round})
        _notify_department(new, at=at)
    _join_if_complete(application, actor=actor, at=at)


def _start_review(task, application, *, actor, data, at):
    _run(task, "start_review", actor=actor, at=at)


def _record_part(task, application, *, actor, data, at):
    note = _text(data, "note", 2000)
    family = set(actor.organisation_family_ids)
    grid = actor.has_role(RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER)
    part = next(
        p
        for p in task.parts.all()
        if p.done_at is None and ((p.organisation_id in family) if p.organisation_id else grid)
    )
    # The transition first (its condition is "a part still open"), then the part is marked done.
    _run(
        task,
        "record_part",
        actor=actor,
        at=at,
        reason=note,
        data={"part": part.kind, "organisation": part.organisation.code if part.organisation_id else None},
    )
    TaskPart.objects.filter(pk=part.pk).update(done_at=at, done_by=actor, note=note)
    part.done_at, part.done_by, part.note = at, actor, note
    # Each unit's survey (or consent) is judged on its own clock; the issuance's starts with the last.
    _joint_clock_finish(application, PART_STAGES[task.kind], at=at, actor=actor, unit=part.organisation_id)
    if task.parts_done():
        _joint_clock_start(application, ISSUE_STAGES[task.kind], at=at, actor=actor, by_unit=False)


def _grant(task, application, *, actor, data, at):
    task.permit_number = _text(data, "permit_number", 60)
    task.decision_reason = _text(data, "note", 2000)
    _run(
        task,
        "grant",
        actor=actor,
        at=at,
        reason=task.decision_reason,
        data={"permit_number": task.permit_number},
    )
    if task.kind in ISSUE_STAGES:
        _joint_clock_finish(application, ISSUE_STAGES[task.kind], at=at, actor=actor, by_unit=False)
    _finish_clock(task, application, actor=actor, at=at)
    if task.kind == K.GREEN_PERMIT:
        _joint_clock_start(application, RELOCATION_BUDGET_STAGE, at=at, actor=actor, by_unit=False)
    if task.kind == K.ROAD_PERMIT:
        _construction_start(application, actor=actor, at=at)
    _join_if_complete(application, actor=actor, at=at)


def _construction_start(application, *, actor, at):
    """外线施工 starts when the road-excavation permit is granted (在取得占、掘路许可后10个工作日内), even
    while other permits are still worked; the case itself moves on when every permit is granted."""
    if not clocks.clock_running(application, "construction"):
        clocks.clock_start(
            subject=application,
            stage="construction",
            facts=application.case_facts(),
            policy_date=application.policy_date,
            at=at,
            actor=actor,
        )


def _refuse(task, application, *, actor, data, at):
    reason = _required_text(data, "reason", 2000, _("请填写不予许可的理由。"))
    task.decision_reason = reason
    _run(task, "refuse", actor=actor, at=at, reason=reason)
    _finish_clock(task, application, actor=actor, at=at)
    # Back to design: the refused permit's joint steps and a construction started early stop.
    clocks.clock_cancel(
        subject=application,
        at=at,
        actor=actor,
        reason=reason,
        stage=[*joint_stages(task.kind), "construction"],
    )
    # The design changes: the other open tasks are withdrawn and re-filed with the new design.
    _withdraw_open(application, actor=actor, at=at, reason=str(_("其他审批事项不予许可，退回重新设计")))

    label = task.get_kind_display()
    application_permit_refused(application_id=application.pk, actor=actor, reason=f"{label}：{reason}", at=at)


def _return_for_correction(task, application, *, actor, data, at):

    reason = _required_text(data, "reason", 2000, _("请一次性写明需要补正的内容。"))
    _run(task, "return_for_correction", actor=actor, at=at, reason=reason)
    # The applicant's correction time is not the department's: its clock stops until resubmission.
    try:
        clocks.clock_pause(
            subject=application,
            stage=[task.kind, *joint_stages(task.kind)],
            reason=reason,
            actor=actor,
            at=at,
        )
    except (clocks.ClockNotRunning, clocks.ClockAlreadyPaused):
        pass  # the whole case is paused already (or the task has no clock)
    recipients = [application.account_manager] if application.account_manager_id else _grid_staff()

    notify(
        recipients=recipients,
        kind="approvals",
        title=str(
            RETURNED_MESSAGE
            % {"number": application.number, "task": task.get_kind_display(), "reason": reason}
        ),
        body=reason,
        url=task_url(task),
        subject=application,
        dedupe_key=f"approvals:task:{task.pk}:returned:{at.isoformat()}",
        at=at,
    )


def _resubmit(task, application, *, actor, data, at):

    _run(task, "resubmit", actor=actor, at=at, reason=_text(data, "note", 2000))
    if application.paused_at is None:  # a paused case resumes its clocks when it resumes
        try:
            clocks.clock_resume(
                subject=application, stage=[task.kind, *joint_stages(task.kind)], actor=actor, at=at
            )
        except (clocks.ClockNotRunning, clocks.ClockNotPaused):
            pass


def permits_in_correction(application) -> list[str]:
    """The stages (task kinds) of the case's permits waiting on the applicant's correction: their
    clocks stay paused when the case's clocks resume."""
    kinds = ApprovalTask.objects.filter(application=application, state=T.RETURNED).values_list(
        "kind", flat=True
    )
    return [stage for kind in kinds for stage in (kind, *joint_stages(kind))]


def _report_relocation(task, application, *, actor, data, at):
    _run(task, "report_relocation", actor=actor, at=at, reason=_text(data, "note", 2000))
    task.relocated_at = at  # after the transition: its condition is "not relocated yet"
    task.save(update_fields=["relocated_at"])
    # Relocated: the budget it needed was given (市园林建设服务中心's clock stops here at the latest).
    _joint_clock_finish(application, RELOCATION_BUDGET_STAGE, at=at, actor=actor, by_unit=False)
    fee = _task_create(application, kind=K.GREEN_FEE, round_=task.round, actor=actor, at=at)
    TaskAuditEntry.record(fee, actor=actor, name="push", from_state="", at=at, data={"round": fee.round})
    _notify_department(fee, at=at)
    if application.account_manager_id:
        notify(
            recipients=[application.account_manager],
            kind="approvals",
            title=str(FEE_MESSAGE % {"number": application.number}),
            url=task_url(fee),
            subject=application,
            dedupe_key=f"approvals:task:{fee.pk}:fee",
            at=at,
        )


def _pay_fee(task, application, *, actor, data, at):
    _run(task, "pay_fee", actor=actor, at=at, reason=_text(data, "note", 2000))
    _finish_clock(task, application, actor=actor, at=at)


_HANDLERS = {
    "accept_filing": _accept_filing,
    "start_review": _start_review,
    "record_part": _record_part,
    "grant": _grant,
    "refuse": _refuse,
    "return_for_correction": _return_for_correction,
    "resubmit": _resubmit,
    "report_relocation": _report_relocation,
    "pay_fee": _pay_fee,
}


def _join_if_complete(application, *, actor, at) -> bool:
    """Every required permit granted: the case moves on (the caller holds the case's row lock)."""
    needed = set(permits_needed(application))
    if application.state != A.APPROVING or not needed or not needed <= _granted_kinds(application):
        return False

    application_permits_granted(application_id=application.pk, actor=actor, at=at)
    application.refresh_from_db(fields=["state"])
    return True


def _granted_kinds(application) -> set[str]:
    return set(
        ApprovalTask.objects.filter(application=application, state=T.GRANTED)
        .exclude(kind__in=[K.WINDOW_INTAKE, K.GREEN_FEE])
        .values_list("kind", flat=True)
    )


def permits_withdraw(*, application, actor, at: datetime, reason: str) -> list[ApprovalTask]:
    """The case is withdrawn or terminated: its open permit tasks are withdrawn (their clocks
    cancelled) and their departments told they need not go on.

    Called by the case's ``withdraw`` and ``terminate`` transitions, inside their transaction (the case
    row is locked). The green fee stays due: trees already relocated are paid for whatever happens to
    the case.
    """
    withdrawn = _withdraw_open(application, actor=actor, at=at, reason=reason)
    message = CLOSED_MESSAGES.get(application.state, CLOSED_MESSAGES[ApplicationState.TERMINATED])
    for task in withdrawn:
        _notify_department(
            task,
            at=at,
            title=message % {"number": application.number, "task": task.get_kind_display()},
            event="withdrawn",
        )
    return withdrawn


def _withdraw_open(application, *, actor, at, reason) -> list[ApprovalTask]:

    # The green fee stays: trees already relocated are paid for whatever the design becomes.
    tasks = list(
        ApprovalTask.objects.select_for_update(of=("self",))
        .filter(application=application, state__in=OPEN_TASK_STATES)
        .exclude(kind=K.GREEN_FEE)
    )
    for task in tasks:
        _run(task, "withdraw", actor=actor, at=at, reason=reason)
        clocks.clock_cancel(
            subject=application,
            at=at,
            actor=actor,
            reason=reason,
            stage=[task.kind, *joint_stages(task.kind)],
        )
    return tasks


def _finish_clock(task, application, *, actor, at):

    if task.clock_id is None:
        return
    try:
        clocks.clock_finish(subject=application, stage=task.kind, at=at, actor=actor)
    except clocks.ClockNotRunning:
        # Cancelled with the case (withdrawn or terminated): nothing to judge.
        logger.info("task %s finished with no running clock", task.pk)


def _run(task, name, *, actor, at, reason="", data=None) -> TaskAuditEntry:
    """Run the declared transition, save and audit: the one place a task's state changes."""
    from_state = task.state
    getattr(task, name)()
    if task.state in (T.GRANTED, T.REFUSED, T.WITHDRAWN) and task.closed_at is None:
        task.closed_at = at
    try:
        task.save()
    except ConcurrentTransition:
        raise TransitionNotAllowed(_("该审批事项已被他人处理，请刷新后重试。"))
    return TaskAuditEntry.record(
        task, actor=actor, name=name, from_state=from_state, at=at, reason=reason, data=data
    )


def _text(data, field, max_length) -> str:
    value = str(data.get(field) or "").strip()
    if len(value) > max_length:
        raise ValidationError({field: [_err(_("最多 %(max)s 个字符。"), TOO_LONG, {"max": max_length})]})
    return value


def _required_text(data, field, max_length, message) -> str:
    value = _text(data, field, max_length)
    if not value:
        raise ValidationError({field: [_err(message, REQUIRED)]})
    return value


def department_members(organisation_id) -> list[User]:
    """The reviewers and window staff of an organisation and its sub-units (who hear of a new task)."""
    family = Organisation.objects.get(pk=organisation_id).family_ids()
    parent = Organisation.objects.filter(pk=organisation_id).values_list("parent_id", flat=True).first()
    orgs = [*family, *([parent] if parent else [])]
    return list(
        User.objects.filter(
            is_active=True, organisation_id__in=orgs, roles__code__in=[RoleCode.REVIEWER, RoleCode.WINDOW]
        ).distinct()
    )


def _grid_staff() -> list[User]:
    return list(User.objects.filter(is_active=True, roles__code=RoleCode.PSB_STAFF).distinct())


def _notify_department(task, *, at, title=None, event="pushed"):
    """Tell the department (its reviewers, those of its parent unit, and the units of joint parts) that
    the task was pushed to it (default) or, with ``title`` and ``event``, what else happened to it."""

    recipients = department_members(task.department_id)
    for part in task.parts.all():
        if part.organisation_id:
            recipients += department_members(part.organisation_id)
    if title is None:
        title = PUSHED_MESSAGE % {"number": task.application.number, "task": task.get_kind_display()}
    notify(
        recipients=recipients,
        kind="approvals",
        title=str(title),
        url=task_url(task),
        subject=task.application,
        dedupe_key=f"approvals:task:{task.pk}:{event}",
        at=at,
    )


def task_url(task) -> str:
    """Where a department works the task: its page once the portal has one, else the API resource."""

    try:
        return reverse("approvals:task", kwargs={"pk": task.pk})
    except NoReverseMatch:
        return f"/api/v1/approval-tasks/{task.pk}/"


# Comments and shared documents -------------------------------------------------------------------------
def comment_add(*, task_id: int, actor, text: str, at: datetime | None = None) -> TaskComment:
    """A remark on a task the actor may see (the caller checked visibility)."""

    task = tasks_visible_to(actor).filter(pk=task_id).first()
    if task is None:
        raise ApprovalTask.DoesNotExist
    if not can(actor, "approvals.comment", task):
        raise PermissionDenied
    text = _required_text({"text": text}, "text", 2000, _("请填写意见内容。"))
    return TaskComment.objects.create(task=task, author=actor, text=text, at=at or timezone.now())


def shared_document_upload(
    *, task_id: int, actor, kind: str, title: str, file, at: datetime | None = None
) -> SharedDocument:
    """Add a document to the case's shared permit file, through one of its tasks; a document of the same
    kind and title becomes a new version (the old one stays). Checked by content (PDF, JPEG, PNG) and size.
    Raises ApprovalTask.DoesNotExist when the actor may not see the task, PermissionDenied when the
    actor's unit is not part of the case's permit stage, ValidationError for bad input."""

    at = at or timezone.now()
    task = tasks_visible_to(actor).filter(pk=task_id).first()
    if task is None:
        raise ApprovalTask.DoesNotExist
    if not (can(actor, "approvals.upload_document", task) and involved_in(actor, task.application_id)):
        raise PermissionDenied
    errors = {}
    if kind not in SharedDocumentKind.values:
        errors["kind"] = [_err(_("请选择有效的材料类别。"), INVALID_CHOICE)]
    title = str(title or "").strip() or (
        str(SharedDocumentKind(kind).label) if kind in SharedDocumentKind.values else ""
    )
    if len(title) > 100:
        errors["title"] = [_err(_("最多 %(max)s 个字符。"), TOO_LONG, {"max": 100})]
    problem, facts = check_file(file)
    if problem is not None:
        errors["file"] = [problem]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The case row lock serialises version numbers of concurrent uploads.
        Application.objects.select_for_update(of=("self",)).get(pk=task.application_id)
        last = (
            SharedDocument.objects.filter(
                application_id=task.application_id, kind=kind, title=title
            ).aggregate(m=Max("version"))["m"]
            or 0
        )
        doc = SharedDocument(
            application_id=task.application_id,
            task=task,
            kind=kind,
            title=title,
            version=last + 1,
            original_name=(getattr(file, "name", "") or "")[-200:],
            content_type=facts["content_type"],
            size=facts["size"],
            sha256=facts["sha256"],
            uploaded_by=actor,
            uploaded_at=at,
        )
        save_with_file(doc, file)
        TaskAuditEntry.record(
            task,
            actor=actor,
            name="upload_document",
            from_state=task.state,
            at=at,
            data={"document": doc.pk, "kind": kind, "title": title, "version": doc.version},
        )
    return doc
