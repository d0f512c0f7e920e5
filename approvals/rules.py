"""Who may run which transition of a permit task (the ``rules`` permission layer, autodiscovered).

Visibility (who may even see a task) is ``selectors.tasks_visible_to``; these rules decide which actions
on a visible task are one's own: the department the task was pushed to (its organisation or a sub-unit)
reviews it, each unit of a joint part records its own part, and the power bureau, as the filer, corrects,
reports the relocation of trees and pays the green fee.
"""

import rules

from accounts.rules import is_account_manager, is_admin, is_grid_staff, is_psb_staff, is_reviewer, is_window


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

TRANSITION_RULES = {
    "accept_filing": is_window & is_task_department,
    "start_review": reviews_task,
    "record_part": (is_reviewer | is_grid_staff) & has_open_part,
    "grant": reviews_task,
    "refuse": reviews_task,
    "return_for_correction": (is_reviewer | is_window) & is_task_department,
    "resubmit": files_case,
    "report_relocation": files_case,
    "pay_fee": files_case,
}

for _name, _predicate in TRANSITION_RULES.items():
    rules.add_perm(f"approvals.{_name}", _predicate)

# Reading every task: the power bureau (its cases) and administrators; departments and supervisors see
# what the selector gives them.
rules.add_perm("approvals.view_all_tasks", is_grid_staff | is_admin)
rules.add_perm("approvals.comment", is_reviewer | is_window | is_grid_staff)
rules.add_perm("approvals.upload_document", is_reviewer | is_window | is_grid_staff)
# The shared permit documents: the departments of the case and the power bureau, not administrators.
rules.add_perm("approvals.view_shared_documents", is_reviewer | is_window | is_grid_staff)
