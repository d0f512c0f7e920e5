"""Who may run which transition of a permit task (the ``rules`` permission layer, autodiscovered).

Visibility (who may even see a task) is ``selectors.tasks_visible_to``; these rules decide which actions
on a visible task are one's own: the department the task was pushed to (its organisation or a sub-unit)
reviews it, each unit of a joint part records its own part, and the power bureau, as the filer, corrects,
reports the relocation of trees and pays the green fee.
"""

import rules

from accounts.rules import is_admin, is_grid_staff, is_reviewer, is_window

# The transitions register their own rules (``transitions.STEPS``); these are the other actions'.
from . import transitions  # noqa: F401

# Reading every task: the power bureau (its cases) and administrators; departments and supervisors see
# what the selector gives them.
rules.add_perm("approvals.view_all_tasks", is_grid_staff | is_admin)
rules.add_perm("approvals.comment", is_reviewer | is_window | is_grid_staff)
rules.add_perm("approvals.upload_document", is_reviewer | is_window | is_grid_staff)
# The shared permit documents: the departments of the case and the power bureau, not administrators.
rules.add_perm("approvals.view_shared_documents", is_reviewer | is_window | is_grid_staff)
