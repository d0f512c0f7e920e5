"""Working-day calendar, policy rules, stage clocks, warnings, credit records and notifications.

The calendar is one row per date with the cumulative ordinal of working days, so elapsed working days are
a subtraction. Policy rules are rows of a dated policy document. A stage clock hangs on any subject
(ContentType + id: the case apps' models are never imported here) and stores the instants at which its
level changes, so the deadline pass only touches the clocks whose ``next_check_at`` has come.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from hhht_power.text import enumeration


class StageCode(models.TextChoices):
    ACCEPT = "accept", _("用电申请一窗受理")
    PLAN_REPLY = "plan_reply", _("供电方案答复")
    DESIGN = "design", _("选线方案和外线工程设计")
    APPROVAL = "approval", _("行政审批")
    WINDOW_INTAKE = "window_intake", _("受理施工申请")
    PLANNING_PERMIT = "planning_permit", _("规划许可")
    ROAD_PERMIT = "road_permit", _("临时占用、挖掘城市道路审批")
    GREEN_PERMIT = "green_permit", _("砍伐、移植树木和占用绿地审批")
    GREEN_FEE = "green_fee", _("绿地补偿费和树木移植费缴纳")
    # Joint steps inside a permit, each on its own clock for its own unit (PolicyRule.parent_stage).
    ROAD_SURVEY = "road_survey", _("占掘路现场联合踏勘")
    ROAD_ISSUE = "road_issue", _("占掘路审批出件")
    GREEN_CONSENT = "green_consent", _("绿地现场勘验和所有权人意见")
    GREEN_ISSUE = "green_issue", _("占用绿地行政许可批复")
    RELOCATION_BUDGET = "relocation_budget", _("绿化搬迁预算")
    CONSTRUCTION = "construction", _("外线施工")
    INSTALLATION = "installation", _("竣工装表接电")
    OVERALL = "overall", _("办电全流程")


class Level(models.TextChoices):
    ON_TIME = "on_time", _("正常")
    WARNING = "warning", _("预警")
    OVERDUE = "overdue", _("超期")
    ESCALATED = "escalated", _("督办")


LEVEL_RANK = {Level.ON_TIME: 0, Level.WARNING: 1, Level.OVERDUE: 2, Level.ESCALATED: 3}


# --- Calendar ------------------------------------------------------------------------------------------


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("官方数据（chinese-calendar）")
    NOTICE = "notice", _("官方数据（管理员录入国务院通知）")
    PROVISIONAL = "provisional", _("临时推算（周末及法定节假日）")


class CalendarYear(models.Model):
    """One year of the calendar and where its data comes from (国务院办公厅关于部分节假日安排的通知)."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("数据来源"), max_length=20, choices=CalendarSource.choices)
    notice_title = models.CharField(_("通知名称"), max_length=200, blank=True)
    holiday_ranges = models.TextField(
        _("放假安排"),
        blank=True,
        help_text=_("每行一段：起始日期 结束日期 节日名称，例如 2027-01-01 2027-01-03 元旦"),
    )
    makeup_days = models.TextField(
        _("调休上班日"), blank=True, help_text=_("每行一个日期，例如 2027-02-07；可在日期后写说明")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self):
        return f"{self.year}（{self.get_source_display()}）"

    @property
    def is_official(self) -> bool:
        return self.source != CalendarSource.PROVISIONAL


class CalendarDay(models.Model):
    """One date: working or not, and the count of working days up to and including it (工作日序号)."""

    date = models.DateField(_("日期"), primary_key=True)
    is_working = models.BooleanField(_("工作日"))
    ordinal = models.PositiveIntegerField(_("工作日序号"), db_index=True)
    provisional = models.BooleanField(_("临时推算"), default=False)
    note = models.CharField(_("说明"), max_length=40, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {'班' if self.is_working else '休'}"


# --- Policy ----------------------------------------------------------------------------------------------


class PolicyDocument(models.Model):
    """A policy version (e.g. 呼和浩特市进一步优化电力营商环境实施办法（试行）, 2020-01-01)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    title = models.CharField(_("文件名称"), max_length=200)
    issuer = models.CharField(_("发文单位"), max_length=100, blank=True)
    effective_from = models.DateField(_("施行日期"), unique=True)
    lead_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("工作小组牵头单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lv_small_micro_max_kva = models.DecimalField(
        _("小微企业低压接入容量上限（千伏安）"), max_digits=8, decimal_places=1
    )
    zero_investment_max_kva = models.DecimalField(
        _("零投资容量上限（千伏安）"), max_digits=8, decimal_places=1
    )
    average_max_working_days = models.PositiveSmallIntegerField(
        _("平均办电时间承诺（工作日）"), null=True, blank=True
    )
    materials_promise_working_days = models.PositiveSmallIntegerField(
        _("告知承诺补交资料期限（工作日）"),
        default=5,
        help_text=_("一证受理：自提交起，承诺补交的资料应在此期限内补齐（高压在供电方案答复前，低压在装表前）"),
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")

    def __str__(self):
        return f"{self.title}（{self.effective_from:%Y-%m-%d}）"


class Voltage(models.TextChoices):
    ANY = "", _("不限")
    LOW = "low", _("低压")
    HIGH = "high", _("高压")


class PolicyRule(models.Model):
    """One row of the policy table: a stage, the cases it applies to, its limit and its units.

    A condition left empty (None) applies to every case; ``True`` needs the fact to be true; ``False``
    needs it not to be true (false or not yet known). ``permits_needed`` is road excavation or green space.
    """

    policy = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="rules"
    )
    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices)
    parent_stage = models.CharField(_("所属环节"), max_length=20, choices=StageCode.choices, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    voltage = models.CharField(_("电压等级"), max_length=10, choices=Voltage.choices, blank=True)
    power_sources = models.PositiveSmallIntegerField(_("电源数"), null=True, blank=True)
    external_works = models.BooleanField(_("外线工程"), null=True, blank=True)
    road_excavation = models.BooleanField(_("道路开挖"), null=True, blank=True)
    green_space = models.BooleanField(_("占用绿地"), null=True, blank=True)
    permits_needed = models.BooleanField(_("需行政审批"), null=True, blank=True)
    limit_working_days = models.PositiveSmallIntegerField(
        _("办理时限（工作日）"),
        null=True,
        blank=True,
        help_text=_("留空：无独立时限（如并联审批以最后一项为准）"),
    )
    responsible_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_label = models.CharField(_("责任单位说明"), max_length=100, blank=True)
    coordinating_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("协调部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    warning_working_days = models.PositiveSmallIntegerField(
        _("预警提前（工作日）"), default=1, help_text=_("1 表示自到期前最后一个工作日开始时预警")
    )
    escalation_working_days = models.PositiveSmallIntegerField(
        _("超期几个工作日后督办"), null=True, blank=True, default=3
    )
    credit_on_late = models.BooleanField(_("超期办结记入信用记录"), default=True)
    notify_coordinating_staff = models.BooleanField(
        _("预警同时发送协调部门经办人员"),
        default=False,
        help_text=_("如选线方案和外线工程设计：市自然资源局的经办人员与监管人员同时收到预警"),
    )
    source_clause = models.CharField(_("条款"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        ordering = ["policy", "sort_order", "id"]
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")

    def __str__(self):
        limit = self.limit_working_days if self.limit_working_days is not None else "—"
        return f"{self.get_stage_display()} · {self.conditions_label()} · {limit}"

    def conditions_label(self) -> str:
        parts = []
        if self.voltage:
            parts.append(str(self.get_voltage_display()))
        if self.power_sources == 1:
            parts.append(str(_("单电源")))
        elif self.power_sources == 2:
            parts.append(str(_("双电源")))
        for field, yes, no in (
            ("external_works", _("有外线工程"), _("无外线工程")),
            ("road_excavation", _("需道路开挖"), _("无道路开挖")),
            ("green_space", _("需占用绿地"), _("不占绿地")),
            ("permits_needed", _("需行政审批"), _("无需行政审批")),
        ):
            value = getattr(self, field)
            if value is not None:
                parts.append(str(yes if value else no))
        return enumeration(parts) or str(_("全部"))


class PolicyRuleChange(models.Model):
    """Append-only audit of rule edits in the admin."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")

    rule_id_ref = models.BigIntegerField(_("规则编号"))
    policy = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), null=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("规则修改记录")
        verbose_name_plural = _("规则修改记录")

    def __str__(self):
        return f"{self.get_action_display()} #{self.rule_id_ref} {self.at:%Y-%m-%d %H:%M}"


class PauseReason(models.Model):
    """A reason a case's clocks may stop 暂停计时原因: a closed list kept as policy data. Its kind says who
    decides: the one-time notice starts a pause by itself; a customer reason is the customer's to ask for
    or to confirm; an external cause (weather, a government decision) needs the coordinating
    supervisor's approval and is booked to nobody."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("一次性告知（自动）")
        CUSTOMER = "customer", _("客户原因")
        EXTERNAL = "external", _("外部原因")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    label = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("暂停计时原因")
        verbose_name_plural = _("暂停计时原因")

    def __str__(self):
        """The label in the reader's language: the seeded reasons have English entries (``SEEDED_REASONS``),
        one added later reads as entered."""
        return gettext(self.label)


# The labels the reasons were seeded with (migration 0010), listed here so that their translations are
# extracted; the database keeps the Chinese label.
SEEDED_REASONS = (
    gettext_noop("一次性告知：等待客户补正资料"),
    gettext_noop("告知承诺未兑现：等待客户补交资料"),
    gettext_noop("客户申请延期办理"),
    gettext_noop("客户受电工程未完工"),
    gettext_noop("客户要求延期送电"),
    gettext_noop("客户现场不具备施工或勘查条件"),
    gettext_noop("恶劣天气无法施工"),
    gettext_noop("政府决定暂停施工（如重大活动、冬季停工）"),
)


# --- Clocks ----------------------------------------------------------------------------------------------


class StageClock(models.Model):
    """The clock of one stage of one subject (or its overall clock, stage ``overall``).

    ``warning_at``, ``due_at`` and ``escalate_at`` are the instants the level changes; ``next_check_at``
    is the next of them above the current level, and is NULL once the clock is closed, paused or
    escalated, so the deadline pass reads only an index range.
    """

    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.BigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices)
    policy = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(
        PolicyRule,
        verbose_name=_("时限规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    limit_working_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), null=True, blank=True)
    warning_working_days = models.PositiveSmallIntegerField(default=1)
    escalation_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
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
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"))
    warning_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("暂停工作日"), default=0)
    level = models.CharField(_("状态"), max_length=10, choices=Level.choices, default=Level.ON_TIME)
    provisional = models.BooleanField(_("临时推算"), default=False)
    finished_late = models.BooleanField(_("超期办结"), default=False)
    elapsed_working_days = models.PositiveIntegerField(_("用时（工作日）"), null=True, blank=True)
    # 超期风险 of an open overall clock (deadlines.risk.refresh, periodically): fewer working days left
    # (risk_budget) than the remaining stages need at their limits (risk_need).
    at_risk = models.BooleanField(_("超期风险"), default=False, db_default=False)
    risk_budget = models.PositiveSmallIntegerField(_("剩余工作日"), null=True, blank=True)
    risk_need = models.PositiveSmallIntegerField(_("后续环节所需工作日"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("环节计时")
        verbose_name_plural = _("环节计时")
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="clock_subject_idx"),
            models.Index(
                fields=["next_check_at"],
                name="clock_next_check_idx",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(
                fields=["level"],
                name="clock_open_level_idx",
                condition=Q(finished_at__isnull=True, cancelled_at__isnull=True),
            ),
            # The running stage of every open case, in (case, due date) order, read from the index alone:
            # the staff queue sorts all open cases by it ("most urgent first") and counts them by level.
            models.Index(
                fields=["subject_type", "due_at"], name="clock_at_risk_idx", condition=Q(at_risk=True)
            ),
            models.Index(
                fields=["subject_type", "subject_id", "due_at", "id"],
                include=["stage", "level"],
                name="clock_open_stage_idx",
                condition=Q(finished_at__isnull=True, cancelled_at__isnull=True) & ~Q(stage="overall"),
            ),
        ]
        constraints = [
            # One open clock per stage and responsible unit: a joint step (three units surveying the
            # road) has one clock per unit.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "stage", "responsible_org"],
                condition=Q(finished_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_clock_per_stage_unit",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"{self.get_stage_display()} #{self.subject_id}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None and self.cancelled_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class StageNorm(models.Model):
    """What a stage actually takes 实际用时: the median and 90th percentile of the working days of the
    stages (per stage and limit) finished in the 12 months before ``computed_on``, recomputed with the
    risk refresh. ``deadlines.risk`` uses them where ``samples`` are enough, else the limit."""

    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices)
    limit_working_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    samples = models.PositiveIntegerField(_("样本数"))
    median_working_days = models.PositiveSmallIntegerField(_("用时中位数（工作日）"))
    p90_working_days = models.PositiveSmallIntegerField(_("用时90分位（工作日）"))
    computed_on = models.DateField(_("统计日期"))

    class Meta:
        ordering = ["stage", "limit_working_days"]
        verbose_name = _("环节实际用时")
        verbose_name_plural = _("环节实际用时")
        constraints = [
            models.UniqueConstraint(fields=["stage", "limit_working_days"], name="one_norm_per_stage_limit")
        ]

    def __str__(self):
        limit, median, p90 = self.limit_working_days, self.median_working_days, self.p90_working_days
        return f"{self.get_stage_display()} · {limit}: {median}/{p90}"


class ClockEvent(models.Model):
    """Append-only history of a clock: started, paused, resumed, finished, cancelled, recomputed."""

    class Kind(models.TextChoices):
        STARTED = "started", _("开始计时")
        PAUSED = "paused", _("暂停计时")
        RESUMED = "resumed", _("恢复计时")
        FINISHED = "finished", _("办结")
        CANCELLED = "cancelled", _("撤销")
        RECOMPUTED = "recomputed", _("重新计算时限")

    clock = models.ForeignKey(StageClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("计时事件")
        verbose_name_plural = _("计时事件")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Warning(models.Model):  # noqa: A001 - the domain word (预警记录)
    """One warning per clock and level (预警/超期/督办), whoever raised it and however often."""

    clock = models.ForeignKey(StageClock, on_delete=models.CASCADE, related_name="warnings")
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    raised_at = models.DateTimeField(_("产生时间"))
    due_at = models.DateTimeField(_("到期时间"), null=True)
    provisional = models.BooleanField(_("临时推算"), default=False)
    # Copied from the clock so that the warnings list filters without a join.
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.BigIntegerField()
    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices)
    responsible_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("责任单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    coordinating_org = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("协调部门"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pass_token = models.UUIDField(null=True, editable=False)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("预警记录")
        verbose_name_plural = _("预警记录")
        constraints = [models.UniqueConstraint(fields=["clock", "level"], name="one_warning_per_clock_level")]
        indexes = [
            models.Index(fields=["responsible_org", "-raised_at"], name="warning_resp_idx"),
            models.Index(fields=["coordinating_org", "-raised_at"], name="warning_coord_idx"),
            models.Index(fields=["pass_token"], name="warning_pass_idx"),
        ]

    def __str__(self):
        return f"{self.get_level_display()} · {self.get_stage_display()} #{self.subject_id}"


# --- Credit records --------------------------------------------------------------------------------------


class CreditRecord(models.Model):
    """信用记录: a broken commitment, against an organisation or an applicant, with a correction path."""

    class Kind(models.TextChoices):
        LATE_FINISH = "late_finish", _("超时限办结")
        OVERALL_LATE = "overall_late", _("超出全流程承诺时间")
        FALSE_MATERIALS = "false_materials", _("提供虚假材料")
        BROKEN_PROMISE = "broken_promise", _("承诺不兑现")

    class State(models.TextChoices):
        ACTIVE = "active", _("有效")
        CORRECTED = "corrected", _("已更正")

    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_name = models.CharField(_("申请人名称"), max_length=100, blank=True)
    clock = models.ForeignKey(
        StageClock,
        verbose_name=_("环节计时"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    stage = models.CharField(_("环节"), max_length=20, choices=StageCode.choices, blank=True)
    working_days_late = models.PositiveIntegerField(_("超期工作日"), null=True, blank=True)
    evidence = models.TextField(_("事实与依据"))
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更正人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    correction_reason = models.TextField(_("更正理由"), blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind"], condition=Q(clock__isnull=False), name="one_credit_record_per_clock"
            ),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(applicant__isnull=False) | ~Q(applicant_name=""),
                name="credit_record_has_party",
            ),
        ]

    def __str__(self):
        party = self.organisation or self.applicant or self.applicant_name
        return f"{self.get_kind_display()} · {party}"


# --- Notifications ---------------------------------------------------------------------------------------


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    DONE = "done", _("已发送")
    FAILED = "failed", _("发送失败")


class Notification(models.Model):
    """A message to one person: the in-app inbox row, and the state of its email and SMS delivery.

    Unique on (recipient, dedupe_key): the same notification is never created, so never sent, twice.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类别"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    want_email = models.BooleanField(default=True)
    want_sms = models.BooleanField(default=False)
    delivery_state = models.CharField(
        _("发送状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="one_notification_per_recipient_key"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(fields=["dedupe_key"], name="notification_key_idx"),
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending_idx",
                condition=Q(delivery_state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return self.title
