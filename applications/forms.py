"""Forms of the portal's pages: they describe the controls (labels, widgets) and turn the posted values
into the data the services take. They validate nothing themselves: every check is the services' (the
same as the API's), and their ``ValidationError`` is put back on the form by ``apply_errors``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from .models import (
    APPLICATION_FIELDS,
    GENERATED_KINDS,
    ApplicantType,
    Business,
    District,
    DocumentKind,
    Voltage,
    required_materials,
)
from .satisfaction import MAX_SCORE, MIN_SCORE, RATING_TAGS, SCORE_LABELS

# Why the case needs each material (shown beside it on the application form).
MATERIAL_REASONS = {
    DocumentKind.APPLICATION_FORM: _("由平台根据您填写的申请自动生成，无需上传。"),
    DocumentKind.IDENTITY: _("证明用电人身份：个人为居民身份证，单位为载有统一社会信用代码的营业执照。"),
    DocumentKind.PROPERTY: _("证明您对用电地址的产权或使用权，如房产证、不动产权证书或租赁合同。"),
    DocumentKind.CAPACITY_LIST: _("高压用电须列明用电设备及其容量，据此确定供电方案。"),
    DocumentKind.PROJECT_APPROVAL: _("高压用电工程须提供项目立项或备案批文。"),
}


class PortalForm(forms.Form):
    """Bootstrap classes on every control (radios and checkboxes are laid out by the template)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on ``form``: field errors on their fields, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


def error_codes(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


def uploadable_kinds(voltage: str | None) -> list[str]:
    """The materials the customer supplies for a case of this voltage (the form is generated)."""
    if voltage not in Voltage.values:
        voltage = Voltage.LOW
    return [k for k in required_materials(voltage) if k not in GENERATED_KINDS]


def materials_explained(voltage: str | None) -> list[dict]:
    if voltage not in Voltage.values:
        voltage = Voltage.LOW
    return [
        {
            "kind": kind,
            "label": DocumentKind(kind).label,
            "reason": MATERIAL_REASONS[kind],
            "generated": kind in GENERATED_KINDS,
        }
        for kind in required_materials(voltage)
    ]


class ApplicationForm(PortalForm):
    """The guided application: every field optional here, checked by ``validation.clean_application``."""

    business = forms.ChoiceField(
        label=_("业务类型"), choices=Business.choices, required=False, widget=forms.RadioSelect
    )
    voltage = forms.ChoiceField(
        label=_("电压等级"), choices=Voltage.choices, required=False, widget=forms.RadioSelect
    )
    power_sources = forms.ChoiceField(
        label=_("电源数（高压）"),
        choices=[("1", _("单电源")), ("2", _("双电源"))],
        required=False,
        widget=forms.RadioSelect,
    )
    applicant_type = forms.ChoiceField(
        label=_("申请人类型"), choices=ApplicantType.choices, required=False, widget=forms.RadioSelect
    )
    applicant_name = forms.CharField(label=_("申请人名称"), required=False, max_length=200)
    id_number = forms.CharField(
        label=_("身份证号码或统一社会信用代码"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact_phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    district = forms.ChoiceField(
        label=_("所在旗县区"), choices=[("", _("请选择"))] + District.choices, required=False
    )
    address = forms.CharField(label=_("用电地址（街道和门牌号）"), required=False, max_length=300)
    capacity_kva = forms.CharField(
        label=_("申请容量（kVA）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    account_number = forms.CharField(
        label=_("原有户号（增容）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    existing_capacity_kva = forms.CharField(
        label=_("原有容量（kVA，增容）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def service_data(self) -> dict:
        """The posted values as the API takes them (strings; the service parses and checks them)."""
        data = {f: (self.data.get(f) or "").strip() for f in APPLICATION_FIELDS}
        if data["power_sources"] == "":
            data["power_sources"] = None
        return data


def parse_valid_until(raw: str):
    """A date typed in a date control; returns (date or None, error message or None)."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        return None, _("请输入有效的日期（年-月-日）。")
    return day, None


class RatingForm(PortalForm):
    score = forms.TypedChoiceField(
        label=_("满意度"),
        choices=[(str(i), SCORE_LABELS[i]) for i in range(MAX_SCORE, MIN_SCORE - 1, -1)],
        required=False,
        widget=forms.RadioSelect,
    )
    tags = forms.MultipleChoiceField(
        label=_("评价原因（可多选）"),
        choices=RATING_TAGS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("评价内容（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class VisitBookingForm(PortalForm):
    """预约装表: the slot picked by the customer (the choices are the open slots, shown by the page)."""

    slot = forms.CharField(label=_("装表时段"), required=False)


class AssignManagerForm(PortalForm):
    account_manager = forms.ChoiceField(label=_("客户经理"), required=False)

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].choices = [("", _("请选择"))] + [
            (str(u.pk), f"{u}{' · ' + str(u.organisation) if u.organisation_id else ''}") for u in managers
        ]


YES_NO = [("true", _("是")), ("false", _("否"))]


def _bool(raw):
    return {"true": True, "false": False}.get((raw or "").strip().lower())


class TransitionForm(PortalForm):
    """The fields of one transition; ``service_data`` is the body the API would take."""

    def raw(self, name: str) -> str:
        return (self.data.get(self.add_prefix(name)) or "").strip()

    def service_data(self) -> dict:
        return {}


class ReturnForMaterialsForm(TransitionForm):
    note = forms.CharField(label=_("补正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, voltage=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = uploadable_kinds(voltage)
        self.fields["missing"] = forms.MultipleChoiceField(
            label=_("缺少或不合格的资料（一次性告知）"),
            choices=[(k, DocumentKind(k).label) for k in self.kinds],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        for kind in self.kinds:
            self.fields[f"reason_{kind}"] = forms.CharField(
                label=_("“%(kind)s”的问题") % {"kind": DocumentKind(kind).label}, required=False
            )
        self.order_fields(["missing", *[f"reason_{k}" for k in self.kinds], "note"])
        self.style()

    def service_data(self) -> dict:
        chosen = [k for k in self.data.getlist(self.add_prefix("missing")) if k]
        return {
            "missing": [{"kind": k, "reason": self.raw(f"reason_{k}")} for k in chosen],
            "note": self.raw("note"),
        }


class ReplyPlanForm(TransitionForm):
    external_works = forms.ChoiceField(
        label=_("是否有外线工程"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    road_excavation = forms.ChoiceField(
        label=_("是否需挖掘道路"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    green_space = forms.ChoiceField(
        label=_("是否涉及绿地或树木"), choices=YES_NO, required=False, widget=forms.RadioSelect
    )
    plan_summary = forms.CharField(
        label=_("供电方案"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    customer_cost = forms.CharField(
        label=_("客户投资（元，零投资项目不填）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def service_data(self) -> dict:
        data = {
            "external_works": _bool(self.raw("external_works")),
            "road_excavation": _bool(self.raw("road_excavation")),
            "green_space": _bool(self.raw("green_space")),
            "plan_summary": self.raw("plan_summary"),
        }
        cost = self.raw("customer_cost")
        if cost:
            data["customer_cost"] = cost
        return data


class FinishDesignForm(TransitionForm):
    design_summary = forms.CharField(
        label=_("设计说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_data(self) -> dict:
        return {"design_summary": self.raw("design_summary")}


class ConnectForm(TransitionForm):
    meter_number = forms.CharField(label=_("电能表编号"), required=False, max_length=60)

    def service_data(self) -> dict:
        return {"meter_number": self.raw("meter_number")}


# Why a customer withdraws (撤回申请), offered as a list; the reason is recorded in the case history.
WITHDRAW_REASONS = [
    ("no_longer_needed", _("暂不需要用电")),
    ("wrong_details", _("申请信息填写有误，将重新申请")),
    ("too_slow", _("办理时间太长")),
    ("too_costly", _("费用超出预期")),
    ("other_channel", _("已通过其他渠道办理")),
    ("other", _("其他原因")),
]


class WithdrawForm(TransitionForm):
    reason_code = forms.ChoiceField(
        label=_("撤回原因"), choices=WITHDRAW_REASONS, required=False, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("补充说明（选填）"), required=False, max_length=200)

    def service_data(self) -> dict:
        label = dict(WITHDRAW_REASONS).get(self.raw("reason_code"))
        parts = [str(label)] if label else []
        if self.raw("note"):
            parts.append(self.raw("note"))
        return {"reason": "：".join(parts)}


class ReasonForm(TransitionForm):
    reason = forms.CharField(label=_("原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def service_data(self) -> dict:
        return {"reason": self.raw("reason")}
