from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from applications.models import District
from deadlines.models import CreditRecord

from .categories import CATEGORIES
from .filters import Filters, default_filters
from .services import MANUAL_KINDS

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]
# The months the figures can be asked for: the portal's records start after the 2020 policy; a month far
# outside (a typing slip, year 9999 or 0001) is refused with a message, not computed.
FIRST_MONTH, LAST_MONTH = date(2000, 1, 1), date(2099, 12, 31)
MONTH_OUT_OF_RANGE = _("请选择 2000 年至 2099 年之间的月份。")


def month_in_range(day: date | None) -> bool:
    return day is None or FIRST_MONTH <= day <= LAST_MONTH


def _month_end(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


class FilterForm(forms.Form):
    """Period, category and responsible organisation of the dashboard (every figure follows them)."""

    date_from = forms.DateField(label=_("起始月份"), required=False, input_formats=MONTH_FORMATS)
    date_to = forms.DateField(label=_("截止月份"), required=False, input_formats=MONTH_FORMATS)
    category = forms.ChoiceField(label=_("办电类别"), required=False)
    district = forms.ChoiceField(label=_("旗县区"), required=False)
    org = forms.ModelChoiceField(
        label=_("责任单位"),
        required=False,
        queryset=Organisation.objects.exclude(kind=OrganisationKind.SUPERVISOR).filter(parent__isnull=True),
        empty_label=_("全部单位"),
    )

    def __init__(self, data=None, *, today, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None:
            # Short names in URLs: ?from=&to=&category=&org=
            for short, full in (("from", "date_from"), ("to", "date_to")):
                if short in data and full not in data:
                    data[full] = data[short]
        super().__init__(data, **kwargs)
        self.today = today
        self.fields["category"].choices = [("", _("全部类别")), *CATEGORIES.items()]
        self.fields["district"].choices = [("", _("全部旗县区")), *District.choices]

    def clean_date_from(self):
        return self._month(self.cleaned_data.get("date_from"))

    def clean_date_to(self):
        return self._month(self.cleaned_data.get("date_to"))

    def _month(self, day):
        if not month_in_range(day):
            raise forms.ValidationError(MONTH_OUT_OF_RANGE, code="month_out_of_range")
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default = default_filters(self.today)
        start = cleaned.get("date_from") or default.date_from
        end = cleaned.get("date_to") or default.date_to
        if end < start:
            start, end = end, start
        # The figures are kept per month: a period is whole months.
        start, end = start.replace(day=1), _month_end(end)
        if (end - start) > timedelta(days=3700):
            raise forms.ValidationError(_("统计期间不能超过十年。"))
        cleaned["date_from"], cleaned["date_to"] = start, end
        return cleaned

    def filters(self) -> Filters:
        if not self.is_bound or not self.is_valid():
            return default_filters(self.today)
        c = self.cleaned_data
        return Filters(
            date_from=c["date_from"],
            date_to=c["date_to"],
            category=c.get("category") or "",
            org_id=c["org"].pk if c.get("org") else None,
            district=c.get("district") or "",
        )


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class OrderIssueForm(BootstrapMixin, forms.Form):
    instruction = forms.CharField(
        label=_("督办事项"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    reply_due = forms.DateField(
        label=_("要求答复日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class OrderTextForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, required=False
    )


class CreditAddForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=[(k, CreditRecord.Kind(k).label) for k in MANUAL_KINDS])
    organisation = forms.ModelChoiceField(
        label=_("单位"), required=False, queryset=Organisation.objects.all(), empty_label=_("（不针对单位）")
    )
    application_number = forms.CharField(
        label=_("申请编号（针对申请人时填写）"),
        required=False,
        max_length=20,
        help_text=_("例如 HHHT-2026-000123"),
    )
    evidence = forms.CharField(
        label=_("事实与依据"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )


class CreditRepairForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("修复理由与依据"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
