"""The permit task's steps are one registry (approvals.transitions.STEPS): the rules, the case states each
transition may run in, the API's names and the task page's forms all come from it."""

import rules as rules_layer

from approvals.models import ApprovalTask
from approvals.transitions import CASE_STATES, STEPS, USER_TRANSITIONS


def test_every_user_transition_has_one_row_a_rule_a_form_and_its_case_states():
    names = [step.name for step in STEPS]
    assert len(names) == len(set(names))
    assert set(CASE_STATES) == set(USER_TRANSITIONS)
    for step in STEPS:
        if step.by_user:
            assert rules_layer.perm_exists(f"approvals.{step.name}")
            assert step.form is not None and step.case_states
            assert callable(getattr(ApprovalTask, step.name))
