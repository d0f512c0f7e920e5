"""The parallel permits 并联审批: one filing at the one-stop window 综合受理窗口, departments in parallel.

A case needing permits gets one ``window_intake`` task per filing round; the window's intake pushes, in
one step, exactly the permits the case needs (``permits_needed``). Each task is a small state machine
(the table at the bottom of ``ApprovalTask``) with its own stage clock on the case. Joint parts of a
permit (the road permit's site survey, the green permit's owner consent) are ``TaskPart`` rows the
task cannot be granted without. ``services.py`` runs every transition under the case's row lock, so the
join (every required permit granted) happens exactly once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.audit import AppendOnlyEntry
from accounts.permissions import can


class TaskKind(models.TextChoices):
    """The stage codes of ``deadlines.models.StageCode`` worked as tasks."""

    WINDOW_INTAKE = "window_intake", _("受理施工申请")
    PLANNING_PERMIT = "planning_permit", _("规划许可")
    ROAD_PERMIT = "road_permit", _("临时占用、挖掘城市道路审批")
    GREEN_PERMIT = "green_permit", _("砍伐、移植树木和占用绿地审批")
    GREEN_FEE = "green_fee", _("绿地补偿费和树木移植费缴纳")


class TaskState(models.TextChoices):
    PENDING = "pending", _("待办理")
    IN_REVIEW = "in_review", _("审查中")
    RETURNED = "returned", _("退回补正")
    RESUBMITTED = "resubmitted", _("已补正")
    GRANTED = "granted", _("已办结")
    REFUSED = "refused", _("不予许可")
    WITHDRAWN = "withdrawn", _("已撤销")


class PartKind(models.TextChoices):
    SITE_SURVEY = "site_survey", _("现场联合踏勘")
    OWNER_CONSENT = "owner_consent", _("绿地所有权人意见")


class GreenOwner(models.TextChoices):
    PUBLIC = "public", _("公共绿地")
    PRIVATE = "private", _("单位附属绿地（私有）")


K = TaskKind
T = TaskState
PERMIT_KINDS = (K.PLANNING_PERMIT, K.ROAD_PERMIT, K.GREEN_PERMIT)
OPEN_TASK_STATES = (T.PENDING, T.IN_REVIEW, T.RETURNED, T.RESUBMITTED)

# Who works each task (organisation codes of docs/contracts.md), and the joint parts that come first.
TASK_DEPARTMENTS = {
    K.WINDOW_INTAKE: "xzsp_window",
    K.PLANNING_PERMIT: "zrzy",
    K.ROAD_PERMIT: "cgzf",
    K.GREEN_PERMIT: "xzsp",
    K.GREEN_FEE: "cgzf_ldgc",
}
# (part kind, organisation code or None for the applicant itself), per task kind (and green owner).
ROAD_SURVEY = (
    (PartKind.SITE_SURVEY, "cgzf_gxj"),
    (PartKind.SITE_SURVEY, "zjj_szgc"),
    (PartKind.SITE_SURVEY, "jgzd"),
)
GREEN_CONSENT = {
    GreenOwner.PUBLIC: ((PartKind.OWNER_CONSENT, "cgzf_ldgc"),),
    GreenOwner.PRIVATE: ((PartKind.OWNER_CONSENT, None),),
}


# The clocks of a permit's joint steps (``deadlines`` stage codes, limits and units in the policy rows):
# one per part and unit, then the issuance's once every part is done; the relocation budget after the
# green permit.
PART_STAGES = {K.ROAD_PERMIT: "road_survey", K.GREEN_PERMIT: "green_consent"}
ISSUE_STAGES = {K.ROAD_PERMIT: "road_issue", K.GREEN_PERMIT: "green_issue"}
RELOCATION_BUDGET_STAGE = "relocation_budget"


def joint_stages(kind: str) -> list[str]:
    """The stages of the joint steps inside a permit of ``kind`` (none for the others)."""
    return [stages[kind] for stages in (PART_STAGES, ISSUE_STAGES) if kind in stages]


def permits_needed(application) -> list[str]:
    """The permits a case needs (SPEC section 2): the planning permit for any external works needing
    permits, the road permit for road excavation, the green permit for green space or trees."""
    if not application.needs_permits:
        return []
    kinds = [K.PLANNING_PERMIT]
    if application.road_excavation:
        kinds.append(K.ROAD_PERMIT)
    if application.green_space:
        kinds.append(K.GREEN_PERMIT)
    return kinds


def parts_of(kind: str, green_owner: str = GreenOwner.PUBLIC) -> tuple:
    if kind == K.ROAD_PERMIT:
        return ROAD_SURVEY
    if kind == K.GREEN_PERMIT:
        return GREEN_CONSENT[GreenOwner(green_owner or GreenOwner.PUBLIC)]
    return ()




def _perm(name):
    def check(instance, user):
        return can(user, f"approvals.{name}", instance)

    check.__name__ = f"may_{name}"
    return check


def _internal(instance, user):
    """Run by services only (a new filing round, a case closed), never asked for by a user."""
    return False


class ApprovalTask(ConcurrentTransitionMixin, models.Model):
    """One task of a case's permit stage 审批事项: the window's intake, a permit, or the green fee."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("用电申请"),
        on_delete=models.PROTECT,
        related_name="approval_tasks",
    )
    kind = models.CharField(_("事项"), max_length=20, choices=TaskKind.choices)
    round = models.PositiveSmallIntegerField(_("报审轮次"), default=1)
    department = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(_("状态"), max_length=20, choices=TaskState.choices, default=T.PENDING, protected=True)
    clock = models.ForeignKey(
        "deadlines.StageClock",
        verbose_name=_("计时"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    green_owner = models.CharField(_("绿地权属"), max_length=10, choices=GreenOwner.choices, blank=True)
    created_at = models.DateTimeField(_("推送时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision_reason = models.TextField(_("意见"), blank=True)
    permit_number = models.CharField(_("许可文号"), max_length=60, blank=True)
    relocated_at = models.DateTimeField(_("绿化搬迁完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["application_id", "round", "id"]
        verbose_name = _("审批事项")
        verbose_name_plural = _("审批事项")
        constraints = [
            # One live task per kind and case: a new round withdraws the open ones first.
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(state__in=["pending", "in_review", "returned", "resubmitted"]),
                name="one_open_task_per_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state"], name="task_department_state"),
            models.Index(fields=["application", "kind"], name="task_application_kind"),
            # The task lists, newest first: a page walks this index instead of sorting every visible task.
            models.Index(fields=["-created_at", "-id"], name="task_created_desc"),
        ]

    def __str__(self):
        return f"{self.application} · {self.get_kind_display()}"

    # Conditions: pure functions of the task ------------------------------------------------------------
    @property
    def is_intake(self) -> bool:
        return self.kind == K.WINDOW_INTAKE

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    def is_permit(self) -> bool:
        return self.kind in PERMIT_KINDS

    def is_intake_task(self) -> bool:
        return self.kind == K.WINDOW_INTAKE

    def is_fee(self) -> bool:
        return self.kind == K.GREEN_FEE

    def is_reviewed(self) -> bool:
        """Intake and permits are reviewed by a department; the fee is paid by the project unit."""
        return self.kind != K.GREEN_FEE

    def parts_done(self) -> bool:
        return not any(p.done_at is None for p in self.parts.all())

    def has_open_part(self) -> bool:
        return any(p.done_at is None for p in self.parts.all())

    def relocation_pending(self) -> bool:
        return self.kind == K.GREEN_PERMIT and self.relocated_at is None

    # The transition table --------------------------------------------------------------------------------
    @transition(
        state,
        source=[T.PENDING, T.RESUBMITTED],
        target=T.GRANTED,
        conditions=[is_intake_task],
        permission=_perm("accept_filing"),
    )
    def accept_filing(self):
        """受理: the window accepts the filing and pushes the permits the case needs in one step."""

    @transition(
        state,
        source=[T.PENDING, T.RESUBMITTED],
        target=T.IN_REVIEW,
        conditions=[is_permit],
        permission=_perm("start_review"),
    )
    def start_review(self):
        """开始审查."""

    @transition(
        state,
        source=T.IN_REVIEW,
        target=T.IN_REVIEW,
        conditions=[has_open_part],
        permission=_perm("record_part"),
    )
    def record_part(self):
        """A joint part done by one unit: the site survey 现场踏勘, the owner's consent 所有权人意见."""

    @transition(
        state,
        source=T.IN_REVIEW,
        target=T.GRANTED,
        conditions=[is_permit, parts_done],
        permission=_perm("grant"),
    )
    def grant(self):
        """准予许可 (issuance 出件 after the joint parts)."""

    @transition(
        state, source=T.IN_REVIEW, target=T.REFUSED, conditions=[is_permit], permission=_perm("refuse")
    )
    def refuse(self):
        """不予许可: the case goes back to design with the reason."""

    @transition(
        state,
        source=[T.PENDING, T.IN_REVIEW, T.RESUBMITTED],
        target=T.RETURNED,
        conditions=[is_reviewed],
        permission=_perm("return_for_correction"),
    )
    def return_for_correction(self):
        """退回补正: the filer corrects its material and resubmits."""

    @transition(state, source=T.RETURNED, target=T.RESUBMITTED, permission=_perm("resubmit"))
    def resubmit(self):
        """补正后重新提交."""

    @transition(
        state,
        source=T.GRANTED,
        target=T.GRANTED,
        conditions=[relocation_pending],
        permission=_perm("report_relocation"),
    )
    def report_relocation(self):
        """绿化搬迁完成: opens the green fee, paid after relocation 先搬迁再缴费."""

    @transition(state, source=T.PENDING, target=T.GRANTED, conditions=[is_fee], permission=_perm("pay_fee"))
    def pay_fee(self):
        """缴纳绿地补偿费/树木移植费."""

    @transition(state, source=list(OPEN_TASK_STATES), target=T.WITHDRAWN, permission=_internal)
    def withdraw(self):
        """撤销: a new filing round replaces it, or the case was closed or sent back to design."""



class TaskPart(models.Model):
    """A joint part of a permit, done by one unit (or by the applicant itself when ``organisation`` is
    empty: the owner's consent for private green)."""

    task = models.ForeignKey(
        ApprovalTask, verbose_name=_("审批事项"), on_delete=models.CASCADE, related_name="parts"
    )
    kind = models.CharField(_("环节"), max_length=20, choices=PartKind.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("办理单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["task_id", "id"]
        verbose_name = _("联合办理环节")
        verbose_name_plural = _("联合办理环节")

    def __str__(self):
        who = self.organisation.name if self.organisation_id else _("申请单位")
        return f"{self.get_kind_display()} · {who}"


class TaskAuditEntry(AppendOnlyEntry):
    """One step of a task's history 审批记录, append-only (model, admin and database refuse changes)."""

    task = models.ForeignKey(
        ApprovalTask, verbose_name=_("审批事项"), on_delete=models.PROTECT, related_name="audit_entries"
    )
    chain_field = "task"
    update_refused = _("审批记录只能追加，不能修改。")
    delete_refused = _("审批记录只能追加，不能删除。")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        indexes = [models.Index(fields=["task", "at", "id"], name="task_audit_at")]

    def __str__(self):
        return f"{self.task_id} {self.transition} {self.from_state}→{self.to_state}"


class TaskComment(models.Model):
    """A remark on a task 办理意见, seen by whoever sees the task."""

    task = models.ForeignKey(
        ApprovalTask, verbose_name=_("审批事项"), on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发言人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    text = models.TextField(_("内容"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理意见")
        verbose_name_plural = _("办理意见")

    def __str__(self):
        return f"{self.task_id} {self.author_id} {self.at:%Y-%m-%d %H:%M}"


class SharedDocumentKind(models.TextChoices):
    DESIGN_DRAWING = "design_drawing", _("设计图纸")
    SURVEY_RECORD = "survey_record", _("踏勘记录")
    CONSENT = "consent", _("所有权人意见")
    PERMIT = "permit", _("许可文书")
    FEE_RECEIPT = "fee_receipt", _("缴费凭证")
    OTHER = "other", _("其他材料")


def _shared_path(instance, filename):
    # Server-generated names only; the uploader's file name is kept in ``original_name``.
    return f"approvals/{instance.application_id}/{uuid.uuid4().hex}{instance.extension}"


class SharedDocument(models.Model):
    """A document of the permit stage 图纸电子化流转共享: shared with every department of the case and
    nobody else. Versioned: a new version of (kind, title) is a new row, never an overwrite."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("用电申请"),
        on_delete=models.PROTECT,
        related_name="shared_documents",
    )
    task = models.ForeignKey(
        ApprovalTask,
        verbose_name=_("审批事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    kind = models.CharField(_("类别"), max_length=20, choices=SharedDocumentKind.choices)
    title = models.CharField(_("名称"), max_length=100)
    version = models.PositiveSmallIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=_shared_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    class Meta:
        ordering = ["application_id", "kind", "title", "-version"]
        verbose_name = _("共享材料")
        verbose_name_plural = _("共享材料")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "title", "version"], name="one_shared_document_version"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title} v{self.version}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")
