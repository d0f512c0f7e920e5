"""The case's steps, one row each: what the history calls it, what the customer is told, and for the
transitions a user asks for by name (API and pages), who may run it and the portal's form.

Every other list of steps reads this one: the rules (``applications.<name>`` permissions), the services'
dispatch, the API's enum of names, the case page's buttons and timeline, the customer's messages.
"""

from dataclasses import dataclass

import rules
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleCode
from accounts.rules import is_grid_staff

from . import forms


@rules.predicate
def is_owner_customer(user, application):
    """The customer whose application it is."""
    return (
        application is not None
        and application.customer_id == user.pk
        and bool(getattr(user, "is_authenticated", False))
        and user.has_role(RoleCode.CUSTOMER)
    )


@rules.predicate
def works_case(user, application):
    """Power-bureau staff work any case of the queue; an account manager without that role works its own."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(RoleCode.PSB_STAFF) or (
        application is not None
        and application.account_manager_id == user.pk
        and user.has_role(RoleCode.ACCOUNT_MANAGER)
    )


@dataclass(frozen=True)
class Step:
    """``label``: the button and the timeline. ``message``: what the customer is told (``%(number)s`` is
    the case number), if anything. ``rule`` and ``form``: only for a transition a user runs by name;
    ``danger``: it returns or closes the case (shown last); ``confirm``: the consequence a confirmation
    names before the case is closed for good."""

    name: str
    label: str
    message: str | None = None
    rule: rules.Predicate | None = None
    form: type[forms.TransitionForm] | None = None
    danger: bool = False
    confirm: str | None = None

    @property
    def by_user(self) -> bool:
        return self.rule is not None

    def make_form(self, application, data=None):
        kwargs = {"prefix": self.name}
        if self.form is forms.ReturnForMaterialsForm:
            kwargs["voltage"] = application.voltage
        return self.form(data, **kwargs)


STEPS = (
    Step("create", _("创建申请")),
    Step("update", _("修改申请")),
    Step(
        "submit",
        _("提交申请"),
        _("您的用电申请 %(number)s 已提交，我们将在1个工作日内受理。"),
        is_owner_customer,
        forms.TransitionForm,
    ),
    Step(
        "return_for_materials",
        _("退回补正（一次性告知）"),
        _("您的用电申请 %(number)s 需要补正资料，请按一次性告知补齐后重新提交。"),
        is_grid_staff,
        forms.ReturnForMaterialsForm,
        danger=True,
    ),
    Step("accept", _("受理"), _("您的用电申请 %(number)s 已受理。"), is_grid_staff, forms.TransitionForm),
    Step(
        "reply_plan",
        _("答复供电方案"),
        _("您的用电申请 %(number)s 供电方案已答复。"),
        works_case,
        forms.ReplyPlanForm,
    ),
    Step(
        "finish_design",
        _("外线设计完成"),
        _("您的用电申请 %(number)s 外线工程设计已完成。"),
        works_case,
        forms.FinishDesignForm,
    ),
    Step(
        "permits_granted",
        _("行政审批全部办结"),
        _("您的用电申请 %(number)s 行政审批已全部办结，即将开始外线施工。"),
    ),
    Step(
        "permit_refused",
        _("行政审批未通过"),
        _("您的用电申请 %(number)s 行政审批未通过，外线方案将重新设计。"),
    ),
    Step(
        "finish_construction",
        _("外线施工完成"),
        _("您的用电申请 %(number)s 外线施工已完成，即将装表接电。"),
        works_case,
        forms.TransitionForm,
    ),
    Step("connect", _("装表接电"), _("您的用电申请 %(number)s 已装表送电。"), works_case, forms.ConnectForm),
    Step(
        "withdraw",
        _("撤回申请"),
        _("您的用电申请 %(number)s 已撤回。"),
        is_owner_customer,
        forms.WithdrawForm,
        danger=True,
        confirm=_("撤回后本申请即告终止，不能恢复；如仍需用电，须重新提交申请。"),
    ),
    Step(
        "terminate",
        _("终止办理"),
        _("您的用电申请 %(number)s 已终止。"),
        works_case,
        forms.ReasonForm,
        danger=True,
        confirm=_("终止后本申请即告办结为“已终止”，全部计时撤销，客户将收到通知，不能恢复。"),
    ),
    Step("pause", _("暂停计时"), _("您的用电申请 %(number)s 正在等待您的处理，计时已暂停。")),
    Step("pause_request", _("申请暂停计时（待确认）")),
    Step("pause_confirm", _("确认暂停计时")),
    Step("pause_decline", _("拒绝暂停计时申请")),
    Step("pause_lapse", _("暂停计时申请逾期失效")),
    Step("resume", _("恢复计时"), _("您的用电申请 %(number)s 已恢复计时。")),
    Step("rate", _("满意度评价")),
    Step("assign_manager", _("指定客户经理")),
)
BY_NAME = {step.name: step for step in STEPS}
# The transitions a user may ask for by name, in the order they are offered.
USER_TRANSITIONS = tuple(step.name for step in STEPS if step.by_user)


def user_transition(name: str) -> Step | None:
    step = BY_NAME.get(name)
    return step if step is not None and step.by_user else None


for _step in STEPS:
    if _step.by_user:
        rules.add_perm(f"applications.{_step.name}", _step.rule)
