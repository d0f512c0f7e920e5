"""Who may run which transition of a case (the ``rules`` permission layer, autodiscovered).

Visibility (who may even see a case) is ``selectors.applications_visible_to``; these rules decide, for
a case one can see, which actions are one's own: the customer owns its application, power-bureau staff
work the queue, the account manager works its own cases, and staff of the bureau terminate.
"""

import rules

from accounts.models import RoleCode
from accounts.rules import is_admin, is_customer, is_grid_staff, is_psb_staff, is_supervisor

# The transitions register their own rules (``transitions.STEPS``); these are the other actions'.
from .transitions import is_owner_customer, works_case


@rules.predicate
def is_owner(user, application):
    return application is not None and application.customer_id == user.pk


rules.add_perm("applications.edit_application", is_owner_customer)
rules.add_perm("applications.supply_promised_materials", is_owner_customer)
rules.add_perm("applications.urge", is_owner_customer)
# Staff who accept a case correct its applicant type, voltage and sources at acceptance.
rules.add_perm("applications.correct_at_acceptance", is_grid_staff)
# A second return with the one-time notice: the supervisor coordinating the acceptance approves it.
rules.add_perm("applications.approve_second_return", is_supervisor)
# The measured unit never stops its own clock: the customer pauses, staff only request a pause
# (pause_services), and a supervisor can end any pause.
rules.add_perm("applications.pause_clock", is_owner_customer)
rules.add_perm("applications.request_pause", works_case)
# The customer resumes the clock by acting (for example reporting its own works ready).
rules.add_perm("applications.resume_clock", works_case | is_owner_customer | is_supervisor)
rules.add_perm("applications.see_personal_data", is_owner | is_grid_staff)
rules.add_perm("applications.upload_document", is_customer)
rules.add_perm("applications.create_application", is_customer)
rules.add_perm("applications.view_all_applications", is_grid_staff | is_admin)

rules.add_perm("applications.rate_service", is_owner_customer)
rules.add_perm("applications.assign_account_manager", is_psb_staff)


@rules.predicate
def answers_pause(user, pause):
    """A pause request is answered by the case's customer, or, for an external cause, by a supervisor of
    the unit coordinating the stage it stops."""
    if pause is None or not getattr(user, "is_authenticated", False):
        return False
    if pause.reason.kind == "external":
        return (
            user.has_role(RoleCode.SUPERVISOR) and pause.coordinating_org_id in user.organisation_family_ids
        )
    return pause.application.customer_id == user.pk and user.has_role(RoleCode.CUSTOMER)


rules.add_perm("applications.answer_pause_request", answers_pause)
