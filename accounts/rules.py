"""The permission layer: one answer to "may this user do X (to this object)", for pages and the API.

Predicates live here; each app registers its own permissions in its ``rules.py`` (autodiscovered),
using these predicates. Ask through ``accounts.permissions.can(user, perm, obj)`` or
``user.has_perm(perm, obj)``: both land in the same rule set.
"""

import rules

from .models import RoleCode


def role(*codes: str):
    """A predicate true for users holding any of ``codes``: one test, where ``role(a) | role(b)`` is
    three (the rules layer pushes a context and logs for every predicate it combines)."""

    @rules.predicate(name=f"has_role:{'|'.join(codes)}")
    def _has(user):
        return bool(getattr(user, "is_authenticated", False)) and user.has_role(*codes)

    return _has


is_customer = role(RoleCode.CUSTOMER)
is_psb_staff = role(RoleCode.PSB_STAFF)
is_account_manager = role(RoleCode.ACCOUNT_MANAGER)
is_reviewer = role(RoleCode.REVIEWER)
is_window = role(RoleCode.WINDOW)
is_supervisor = role(RoleCode.SUPERVISOR)
is_leader = role(RoleCode.LEADER)
is_admin = role(RoleCode.ADMIN)
is_grid_staff = role(RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER)


@rules.predicate
def is_same_organisation(user, organisation):
    """For objects that are organisations: the user's own organisation or one of its sub-units."""
    return organisation is not None and organisation.pk in user.organisation_family_ids


# Accounts' own permissions.
rules.add_perm("accounts.manage_organisations", is_admin)
rules.add_perm("accounts.manage_users", is_admin)
rules.add_perm("accounts.view_organisation_users", is_admin | is_same_organisation)
