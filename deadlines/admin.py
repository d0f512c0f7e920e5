"""Admin (Chinese): calendar years entered from the State Council notice, policy documents and rules
(every change audited), and read-only views of clocks, warnings, credit records and notifications."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import statutory
from .models import (
    CalendarDay,
    CalendarYear,
    ClockEvent,
    CreditRecord,
    Notification,
    PauseReason,
    PolicyDocument,
    PolicyRule,
    PolicyRuleChange,
    StageClock,
    Warning,
)
from .services import (
    CalendarDataInvalid,
    calendar_import_package,
    calendar_year_enter,
    policy_rule_delete,
    policy_rule_save,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Calendar --------------------------------------------------------------------------------------------


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "notice_title", "holiday_ranges", "makeup_days"]
        widgets = {
            "holiday_ranges": forms.Textarea(attrs={"rows": 10, "cols": 60}),
            "makeup_days": forms.Textarea(attrs={"rows": 6, "cols": 60}),
        }

    def clean(self):
        data = super().clean()
        year = data.get("year") or (self.instance.year if self.instance.pk else None)
        if year:
            try:
                statutory.notice_days(year, data.get("holiday_ranges", ""), data.get("makeup_days", ""))
            except ValueError as exc:
                raise forms.ValidationError(str(exc))
            if not data.get("holiday_ranges", "").strip():
                raise forms.ValidationError(_("请按国务院通知录入放假安排。"))
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Entering a year rebuilds its rows and every later ordinal, and recomputes provisional due dates."""

    form = CalendarYearForm
    list_display = ("year", "source", "notice_title", "working_days", "entered_by", "entered_at")
    list_filter = ("source",)
    readonly_fields = ("source", "entered_by", "entered_at")
    actions = ["import_from_package"]
    fieldsets = (
        (None, {"fields": ("year", "notice_title", "source")}),
        (
            _("国务院办公厅关于部分节假日安排的通知"),
            {
                "fields": ("holiday_ranges", "makeup_days"),
                "description": _(
                    "保存后将按本通知重建该年度全部日期（周末休息，放假日期休息，调休上班日上班），"
                    "重新计算以后各日的工作日序号，并重新计算所有临时推算的到期时间。"
                ),
            },
        ),
        (_("录入记录"), {"fields": ("entered_by", "entered_at")}),
    )

    @admin.display(description=_("工作日数"))
    def working_days(self, obj):
        return CalendarDay.objects.filter(date__year=obj.year, is_working=True).count()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "year"] if obj else fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        entered = calendar_year_enter(
            year=obj.year,
            holiday_ranges=data["holiday_ranges"],
            makeup_days=data["makeup_days"],
            notice_title=data.get("notice_title", ""),
            actor=request.user,
            at=timezone.now(),
        )
        obj.__dict__.update(entered.__dict__)
        messages.info(
            request, _("已按通知重建 %(year)s 年日历，并重新计算临时推算的到期时间。") % {"year": obj.year}
        )

    @admin.action(description=_("从 chinese-calendar 导入所选年度"))
    def import_from_package(self, request, queryset):
        for entry in queryset:
            try:
                calendar_import_package(year=entry.year, actor=request.user, at=timezone.now())
            except CalendarDataInvalid as exc:
                self.message_user(request, str(exc), level=messages.WARNING)
            else:
                self.message_user(request, _("已导入 %(year)s 年。") % {"year": entry.year})


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "weekday", "is_working", "note", "ordinal", "provisional")
    list_filter = ("is_working", "provisional")
    date_hierarchy = "date"
    search_fields = ("note",)

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]


# --- Policy ------------------------------------------------------------------------------------------------


class PolicyRuleInline(admin.TabularInline):
    model = PolicyRule
    fields = (
        "sort_order",
        "stage",
        "conditions",
        "limit_working_days",
        "responsible_org",
        "coordinating_org",
        "warning_working_days",
        "escalation_working_days",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("适用条件"))
    def conditions(self, obj):
        return obj.conditions_label()

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "effective_from",
        "lv_small_micro_max_kva",
        "zero_investment_max_kva",
        "lead_org",
    )
    inlines = [PolicyRuleInline]

    def has_delete_permission(self, request, obj=None):
        return False


class PolicyRuleForm(forms.ModelForm):
    change_reason = forms.CharField(label=_("修改原因"), max_length=300, required=False)

    class Meta:
        model = PolicyRule
        fields = [
            "policy",
            "stage",
            "parent_stage",
            "sort_order",
            "voltage",
            "power_sources",
            "external_works",
            "road_excavation",
            "green_space",
            "permits_needed",
            "limit_working_days",
            "responsible_org",
            "responsible_label",
            "coordinating_org",
            "warning_working_days",
            "escalation_working_days",
            "credit_on_late",
            "source_clause",
            "note",
        ]


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    """Every save and delete goes through the audited services; running clocks keep their own limits."""

    form = PolicyRuleForm
    list_display = (
        "stage",
        "conditions",
        "limit_working_days",
        "responsible_org",
        "coordinating_org",
        "warning_working_days",
        "escalation_working_days",
        "policy",
    )
    list_filter = ("policy", "stage")
    list_select_related = ("policy", "responsible_org", "coordinating_org")

    @admin.display(description=_("适用条件"))
    def conditions(self, obj):
        return obj.conditions_label()

    def save_model(self, request, obj, form, change):
        policy_rule_save(
            rule=obj, actor=request.user, at=timezone.now(), reason=form.cleaned_data.get("change_reason", "")
        )

    def delete_model(self, request, obj):
        policy_rule_delete(rule=obj, actor=request.user, at=timezone.now())

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            policy_rule_delete(rule=rule, actor=request.user, at=timezone.now())


@admin.register(PauseReason)
class PauseReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "kind", "sort_order", "active"]
    list_filter = ["kind", "active"]


@admin.register(PolicyRuleChange)
class PolicyRuleChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "rule_id_ref", "policy", "actor", "reason")
    list_filter = ("action", "policy")


# --- Clocks, warnings, credit records, notifications (read-only) -------------------------------------------


class ClockEventInline(admin.TabularInline):
    model = ClockEvent
    fields = ("at", "kind", "actor", "reason", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StageClock)
class StageClockAdmin(ReadOnlyAdmin):
    list_display = (
        "subject_type",
        "subject_id",
        "stage",
        "level",
        "started_at",
        "due_at",
        "finished_at",
        "provisional",
        "responsible_org",
    )
    list_filter = ("stage", "level", "provisional", "responsible_org")
    list_select_related = ("subject_type", "responsible_org")
    inlines = [ClockEventInline]


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdmin):
    list_display = (
        "raised_at",
        "level",
        "stage",
        "subject_id",
        "responsible_org",
        "coordinating_org",
        "provisional",
    )
    list_filter = ("level", "stage", "responsible_org", "coordinating_org")
    list_select_related = ("responsible_org", "coordinating_org")


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "recorded_at",
        "kind",
        "organisation",
        "applicant_name",
        "stage",
        "working_days_late",
        "state",
    )
    list_filter = ("kind", "state", "organisation")
    list_select_related = ("organisation",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "delivery_state", "attempts", "read_at")
    list_filter = ("delivery_state", "kind")
    list_select_related = ("recipient",)
    search_fields = ("title", "dedupe_key")
