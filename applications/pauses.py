"""The pause ledger 暂停计时台账: every stop of a case's clocks, who asked, who confirmed, for how long.

The measured unit never stops its own clock: a pause starts with the one-time notice, at the customer's
own request, or when the customer confirms a pause that staff requested (a request unanswered for
``PAUSE_REQUEST_LAPSE_WORKING_DAYS`` lapses); an external cause needs the coordinating supervisor's
approval. The model is imported at the bottom of ``models.py``; its writers are in ``pause_services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PauseState(models.TextChoices):
    REQUESTED = "requested", _("待确认")
    ACTIVE = "active", _("暂停中")
    ENDED = "ended", _("已恢复计时")
    DECLINED = "declined", _("已拒绝")
    LAPSED = "lapsed", _("逾期未确认，已失效")


OPEN_PAUSE_STATES = (PauseState.REQUESTED, PauseState.ACTIVE)


def _evidence_path(instance, filename):
    import uuid

    return f"pauses/{instance.application_id}/{uuid.uuid4().hex}{instance.evidence_extension}"


class Pause(models.Model):
    """One pause (or a request for one) of a case's clocks."""

    application = models.ForeignKey(
        "applications.Application", verbose_name=_("申请"), on_delete=models.PROTECT, related_name="pauses"
    )
    reason = models.ForeignKey(
        "deadlines.PauseReason", verbose_name=_("原因"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to=_evidence_path, max_length=200, blank=True)
    evidence_type = models.CharField(_("佐证材料类型"), max_length=50, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=PauseState.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    expires_at = models.DateTimeField(_("确认期限"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认或拒绝人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    working_days = models.PositiveIntegerField(_("暂停工作日"), null=True, blank=True)
    # The unit whose running stage the pause stops (the most urgent one when asked), and the supervisor
    # that coordinates it (who approves an external cause).
    responsible_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    coordinating_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("协调部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.CharField(_("环节"), max_length=20, blank=True)
    stage_due_at = models.DateTimeField(_("环节到期时间"), null=True, blank=True)

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        constraints = [
            # One pause running or asked for at a time per case.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=["requested", "active"]),
                name="one_open_pause_per_application",
            )
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="pause_state_expires"),
            models.Index(fields=["responsible_org", "requested_at"], name="pause_unit_requested"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.reason_id} {self.state}"

    @property
    def evidence_extension(self) -> str:
        return self.EXTENSIONS.get(self.evidence_type, "")
