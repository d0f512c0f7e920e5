"""Who supervises what: a supervisor sees the stages its organisation coordinates (协调部门) per the policy
rules; the working group's lead organisation (工作小组牵头单位, 市工信局 under the 2020 policy) sees all."""

from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from accounts.models import RoleCode
from deadlines.policy import NoPolicyInForce, policy_in_force


def is_supervising_user(user) -> bool:
    return bool(
        user
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.organisation_id
        and user.has_role(RoleCode.SUPERVISOR, RoleCode.LEADER)
    )


def lead_org_id(on=None):
    try:
        return policy_in_force(on or timezone.localdate()).lead_org_id
    except NoPolicyInForce:
        return None


@dataclass
class Scope:
    """What one supervisor sees. ``org_ids``: its organisation and sub-units."""

    user: object
    org_ids: list
    is_lead: bool

    @cached_property
    def org_id_set(self) -> frozenset:
        return frozenset(self.org_ids)


def scope_for(user) -> Scope | None:
    """The supervisor's scope, or None for anybody who is not a supervisor."""
    if not is_supervising_user(user):
        return None
    cache = getattr(user, "_supervision_scope", None)
    if cache is not None:
        return cache
    org_ids = list(user.organisation_family_ids)
    scope = Scope(user=user, org_ids=org_ids, is_lead=lead_org_id() in org_ids)
    user._supervision_scope = scope
    return scope


def coordinates(user, clock) -> bool:
    """True when the user's organisation coordinates this clock's stage (or leads the working group)."""
    scope = scope_for(user)
    if scope is None or clock is None:
        return False
    return scope.is_lead or clock.coordinating_org_id in scope.org_id_set
