"""督办 orders and the history of credit records.

A supervision order 督办单 is issued by a supervisor on an overdue or escalated stage (or permit) clock of
a case, with a required reply date; the responsible organisation answers; the issuer closes it or sends it
back. Its history is append-only ``SupervisionOrderEvent`` rows. ``CreditRecordEvent`` is the append-only
history of a credit record (added by hand, corrected 信用修复), beside the record ``deadlines`` keeps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from deadlines.models import Level, StageCode


class OrderState(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class SupervisionOrder(ConcurrentTransitionMixin, models.Model):
    """督办单: one order on one clock of one case."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    clock = models.ForeignKey(
        "deadlines.StageClock", verbose_name=_("环节计时"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices)
    level_at_issue = models.CharField(_("督办时状态"), max_length=10)
    issuing_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("督办单位"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_org = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"))
    instruction = models.TextField(_("督办事项"))
    reply_due = models.DateField(_("要求答复日期"))
    state = FSMField(
        _("状态"), max_length=10, choices=OrderState.choices, default=OrderState.OPEN, protected=True
    )
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        indexes = [
            models.Index(fields=["state", "reply_due"], name="order_state_due_idx"),
            models.Index(fields=["responsible_org", "state"], name="order_resp_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["clock"], condition=~Q(state="closed"), name="one_unclosed_order_per_clock"
            )
        ]

    def __str__(self):
        return _("督办单 #%(id)s") % {"id": self.pk}

    @property
    def level_at_issue_label(self) -> str:
        """The clock's level when the order was issued, as people read it (超期, 严重超期)."""
        return (
            Level(self.level_at_issue).label if self.level_at_issue in Level.values else self.level_at_issue
        )

    @transition(state, source=OrderState.OPEN, target=OrderState.ANSWERED)
    def answer(self):
        """The responsible organisation answers 答复."""

    @transition(state, source=OrderState.ANSWERED, target=OrderState.OPEN)
    def send_back(self):
        """The issuer finds the answer insufficient 退回重新答复."""

    @transition(state, source=OrderState.ANSWERED, target=OrderState.CLOSED)
    def close(self):
        """The issuer accepts the answer 办结."""


class SupervisionOrderEvent(models.Model):
    """Append-only history of an order: issued, answered, sent back, closed."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("下发督办")
        ANSWERED = "answered", _("答复")
        SENT_BACK = "sent_back", _("退回重新答复")
        CLOSED = "closed", _("办结")

    order = models.ForeignKey(SupervisionOrder, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("单位"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    text = models.TextField(_("内容"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("督办记录")
        verbose_name_plural = _("督办记录")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CreditRecordEvent(models.Model):
    """Append-only history of a credit record 信用记录: added by hand, corrected 信用修复."""

    class Kind(models.TextChoices):
        ADDED = "added", _("人工记录")
        CORRECTED = "corrected", _("信用修复")

    record = models.ForeignKey(
        "deadlines.CreditRecord", on_delete=models.PROTECT, related_name="supervision_events"
    )
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    text = models.TextField(_("说明"))
    state_before = models.CharField(_("原状态"), max_length=10, blank=True)
    state_after = models.CharField(_("新状态"), max_length=10)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("信用记录变更")
        verbose_name_plural = _("信用记录变更")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.record_id}"


# --- Summary tables of the dashboard (kept by supervision.summary) --------------------------------------


class StageKey(models.Model):
    """The key of a StageMonth row: month of finishing, stage, category, district, units, working days,
    lateness."""

    month = models.DateField()
    stage = models.CharField(max_length=20)
    category = models.CharField(max_length=20, blank=True)
    district = models.CharField(max_length=20, blank=True)
    responsible_org_id = models.BigIntegerField(null=True)
    coordinating_org_id = models.BigIntegerField(null=True)
    case_coords = models.CharField(max_length=200, blank=True)
    case_resps = models.CharField(max_length=200, blank=True)
    elapsed = models.IntegerField()
    late = models.BooleanField()

    class Meta:
        abstract = True


class CaseKey(models.Model):
    """The key of a CaseMonth row and the sums a connected case adds to it."""

    axis = models.CharField(max_length=10)
    month = models.DateField()
    category = models.CharField(max_length=20, blank=True)
    district = models.CharField(max_length=20, blank=True)
    case_coords = models.CharField(max_length=200, blank=True)
    case_resps = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20, blank=True)
    score = models.SmallIntegerField(null=True)
    zero_n = models.IntegerField(default=0)
    cost_sum = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cost_n = models.IntegerField(default=0)
    calendar_seconds = models.FloatField(default=0)

    class Meta:
        abstract = True


STAGE_KEY = tuple(f.name for f in StageKey._meta.fields)
CASE_KEY = ("axis", "month", "category", "district", "case_coords", "case_resps", "state", "score")
CASE_SUMS = ("n", "zero_n", "cost_sum", "cost_n", "calendar_seconds")


class StageMonth(StageKey):
    """Finished clocks per month of finishing: a working-day histogram per stage, category and unit.

    Stage rows carry the clock's own responsible and coordinating organisation; ``overall`` rows carry
    the case's sets instead (``case_coords``: every organisation coordinating one of its stages,
    ``case_resps``: every unit responsible for one, as ",3,7,"), so they follow the supervisor's scope
    and the organisation filter the way the cases do.
    """

    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "stage"], name="stagemonth_month_idx")]
        constraints = [
            # One row per key: the refresh of changes adds its differences to it (ON CONFLICT).
            models.UniqueConstraint(fields=STAGE_KEY, nulls_distinct=False, name="stagemonth_one_row_per_key")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.stage} {self.category} {self.elapsed}: {self.n}"


class CaseMonth(CaseKey):
    """Cases per month on three axes: ``submitted`` (by state), ``connected`` (cost, zero investment,
    calendar time) and ``rated`` (satisfaction score), with the case's category and organisation sets."""

    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["axis", "month"], name="casemonth_axis_month_idx")]
        constraints = [
            models.UniqueConstraint(fields=CASE_KEY, nulls_distinct=False, name="casemonth_one_row_per_key")
        ]

    def __str__(self):
        return f"{self.axis} {self.month:%Y-%m} {self.category}: {self.n}"


class StageCase(StageKey):
    """What one finished clock of a case counts in ``StageMonth`` (its key), kept so that a refresh can
    take a changed case's previous contribution away before adding its new one."""

    application_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.application_id} {self.stage} {self.month:%Y-%m}"


class CaseAxis(CaseKey):
    """What one case counts in ``CaseMonth`` on one axis (one row each: submitted, connected, rated)."""

    application_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.application_id} {self.axis} {self.month:%Y-%m}"


class SummaryChange(models.Model):
    """A case whose summary figures must be counted again. Written by database triggers on the cases,
    their clocks and their ratings, in the same transaction as the change; the refresh consumes them."""

    application_id = models.BigIntegerField()
    at = models.DateTimeField(db_default=Now())

    def __str__(self):
        return f"{self.application_id} {self.at:%Y-%m-%d %H:%M:%S}"


class FigureRefresh(models.Model):
    """When the summary tables were last refreshed, how long it took and how many cases it counted again
    (``cases`` is None for a full rebuild); the dashboard shows its age."""

    refreshed_at = models.DateTimeField()
    seconds = models.FloatField()
    stage_rows = models.IntegerField()
    case_rows = models.IntegerField()
    cases = models.IntegerField(null=True)

    class Meta:
        ordering = ["-refreshed_at"]

    def __str__(self):
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"
