"""Who may run which transition of a case (the ``rules`` permission layer, autodiscovered).

Visibility (who may even see a case) is ``selectors.applications_visible_to``; these rules decide, for
a case one can see, which actions are one's own: the customer owns its application, power-bureau staff
work the queue, the account manager works its own cases, and staff of the bureau terminate.
"""

import rules

from accounts.rules import is_admin, is_customer, is_grid_staff, is_psb_staff

# The transitions register their own rules (``transitions.STEPS``); these are the other actions'.
from .transitions import is_owner_customer, works_case


@rules.predicate
def is_owner(user, application):
    return application is not None and application.customer_id == user.pk


rules.add_perm("applications.edit_application", is_owner_customer)
rules.add_perm("applications.pause_clock", works_case)
# The customer resumes the clock by acting (for example reporting its own works ready).
rules.add_perm("applications.resume_clock", works_case | is_owner_customer)
rules.add_perm("applications.see_personal_data", is_owner | is_grid_staff)
rules.add_perm("applications.upload_document", is_customer)
rules.add_perm("applications.create_application", is_customer)
rules.add_perm("applications.view_all_applications", is_grid_staff | is_admin)

rules.add_perm("applications.rate_service", is_owner_customer)
rules.add_perm("applications.assign_account_manager", is_psb_staff)
