"""A permit task's steps, one row each: what the history calls it, and for the transitions a user asks
for by name (API and pages), who may run it, the portal's form and the case states it may run in.

Every other list of the task's steps reads this one: the rules (``approvals.<name>`` permissions), the
services' checks, the API's enum of names, the task page's buttons and history.
"""

from dataclasses import dataclass

import rules
from django.utils.translation import gettext_lazy as _

from accounts.rules import is_account_manager, is_grid_staff, is_psb_staff, is_reviewer, is_window
from applications.models import ApplicationState as A

from . import forms


@rules.predicate
def is_task_department(user, task):
    return task is not None and task.department_id in user.organisation_family_ids


@rules.predicate
def has_open_part(user, task):
    """The user's unit (or, for the applicant's own part, the power bureau) has a part still to do."""
    if task is None:
        return False
    family = set(user.organisation_family_ids)
    grid = user.has_role("psb_staff", "account_manager")
    return any(
        p.done_at is None and ((p.organisation_id in family) if p.organisation_id else grid)
        for p in task.parts.all()
    )


@rules.predicate
def is_case_account_manager(user, task):
    return task is not None and task.application.account_manager_id == user.pk


files_case = is_psb_staff | (is_account_manager & is_case_account_manager)
reviews_task = is_reviewer & is_task_department


@dataclass(frozen=True)
class TaskStep:
    """``label``: the button and the history. ``rule``, ``form`` and ``case_states`` (the case states in
    which it may run): only for a transition a user runs by name; ``danger``: it refuses or returns
    (shown last); ``confirm``: the consequence a confirmation names before a decision that cannot be
    undone."""

    name: str
    label: str
    rule: rules.Predicate | None = None
    form: type[forms.PortalForm] | None = None
    case_states: tuple[str, ...] = ()
    danger: bool = False
    confirm: str | None = None

    @property
    def by_user(self) -> bool:
        return self.rule is not None


# Permits are worked while the case waits on them; the trees are relocated and the fee paid while the
# case is built.
STEPS = (
    TaskStep("create", _("创建")),
    TaskStep("file", _("报审（提交施工许可申请）")),
    TaskStep("push", _("推送至本部门")),
    TaskStep(
        "accept_filing",
        _("受理并推送审批部门"),
        is_window & is_task_department,
        forms.FilingForm,
        (A.APPROVING,),
    ),
    TaskStep("start_review", _("开始审查"), reviews_task, forms.EmptyForm, (A.APPROVING,)),
    TaskStep(
        "record_part",
        _("记录本单位踏勘/意见"),
        (is_reviewer | is_grid_staff) & has_open_part,
        forms.NoteForm,
        (A.APPROVING,),
    ),
    TaskStep("grant", _("准予许可（出件）"), reviews_task, forms.GrantForm, (A.APPROVING,)),
    TaskStep(
        "refuse",
        _("不予许可"),
        reviews_task,
        forms.ReasonForm,
        (A.APPROVING,),
        danger=True,
        confirm=_("不予许可后，本案其他审批事项一并撤销，外线方案退回电网企业重新设计，不能撤回。"),
    ),
    TaskStep(
        "return_for_correction",
        _("退回补正"),
        (is_reviewer | is_window) & is_task_department,
        forms.ReasonForm,
        (A.APPROVING,),
        danger=True,
    ),
    TaskStep("resubmit", _("补正后重新提交"), files_case, forms.NoteForm, (A.APPROVING,)),
    TaskStep(
        "report_relocation", _("绿化搬迁已完成"), files_case, forms.NoteForm, (A.APPROVING, A.CONSTRUCTING)
    ),
    TaskStep(
        "pay_fee", _("已缴纳补偿费"), files_case, forms.NoteForm, (A.APPROVING, A.CONSTRUCTING, A.INSTALLING)
    ),
    TaskStep("upload_document", _("上传共享材料")),
    TaskStep("withdraw", _("撤销")),
)
BY_NAME = {step.name: step for step in STEPS}
# The transitions a user may ask for by name, in the order they are offered.
USER_TRANSITIONS = tuple(step.name for step in STEPS if step.by_user)
CASE_STATES = {step.name: step.case_states for step in STEPS if step.by_user}


def user_transition(name: str) -> TaskStep | None:
    step = BY_NAME.get(name)
    return step if step is not None and step.by_user else None


for _step in STEPS:
    if _step.by_user:
        rules.add_perm(f"approvals.{_step.name}", _step.rule)
