"""Supervision permissions (the ``rules`` layer, autodiscovered): dashboards, 督办 orders, credit records."""

import rules

from accounts.rules import is_leader, is_supervisor

from .scope import coordinates, scope_for

ISSUABLE_LEVELS = ("overdue", "escalated")


@rules.predicate
def has_organisation(user):
    return bool(user.organisation_id)


is_supervising = (is_supervisor | is_leader) & has_organisation


@rules.predicate
def coordinates_clock(user, clock):
    return clock is not None and coordinates(user, clock)


@rules.predicate
def clock_is_overdue_or_escalated(user, clock):
    return (
        clock is not None
        and clock.finished_at is None
        and clock.cancelled_at is None
        and clock.level in ISSUABLE_LEVELS
    )


@rules.predicate
def in_issuing_org(user, order):
    scope = scope_for(user)
    return order is not None and scope is not None and order.issuing_org_id in scope.org_id_set


@rules.predicate
def in_responsible_org(user, order):
    return order is not None and order.responsible_org_id in (user.organisation_family_ids or [])


@rules.predicate
def leads_working_group(user):
    scope = scope_for(user)
    return bool(scope and scope.is_lead)


@rules.predicate
def order_is_open(user, order):
    return order is not None and order.state == "open"


@rules.predicate
def order_is_answered(user, order):
    return order is not None and order.state == "answered"


@rules.predicate
def is_own_organisation(user, organisation):
    return organisation is not None and organisation.pk in (user.organisation_family_ids or [])


rules.add_perm("supervision.view_dashboard", is_supervising)
rules.add_perm("supervision.issue_order", is_supervising & coordinates_clock & clock_is_overdue_or_escalated)
rules.add_perm(
    "supervision.view_order", (is_supervising & (in_issuing_org | leads_working_group)) | in_responsible_org
)
rules.add_perm("supervision.answer_order", in_responsible_org & order_is_open)
rules.add_perm("supervision.close_order", is_supervising & in_issuing_org & order_is_answered)
rules.add_perm("supervision.send_back_order", is_supervising & in_issuing_org & order_is_answered)
# Credit records: every supervisor reads them; an organisation reads its own page.
rules.add_perm("supervision.view_credit_records", is_supervising)
rules.add_perm("supervision.view_organisation_credit", is_supervising | is_own_organisation)
rules.add_perm("supervision.add_credit_record", is_supervising)
rules.add_perm("supervision.correct_credit_record", is_supervising)
