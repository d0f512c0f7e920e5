"""Policy rules as data: which document is in force on a date, and which rules apply to a case."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects

from .models import PolicyDocument, PolicyRule, StageCode


@dataclass(frozen=True)
class CaseFacts:
    """The facts of a case that decide which rules apply (see docs/contracts.md)."""

    voltage: str  # "low" | "high"
    power_sources: int | None  # 1 | 2 for HV
    applicant_type: str  # "resident" | "small_micro" | "enterprise"
    capacity_kva: Decimal
    external_works: bool | None = None  # known after the supply plan
    road_excavation: bool | None = None
    green_space: bool | None = None

    @property
    def permits_needed(self) -> bool:
        """External works needing road excavation or green space go through the permits (行政审批)."""
        return bool(self.external_works) and bool(self.road_excavation or self.green_space)


class NoPolicyInForce(LookupError):
    code = "no_policy_in_force"


def policy_in_force(on: date) -> PolicyDocument:
    """The latest policy document effective on ``on``. Raises NoPolicyInForce before the first one."""
    policy = PolicyDocument.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if policy is None:
        raise NoPolicyInForce(on)
    return policy


def _condition(required: bool | None, fact: bool | None) -> bool:
    if required is None:
        return True
    return bool(fact) if required else not fact


def rule_matches(rule: PolicyRule, facts: CaseFacts) -> bool:
    """True when every condition of ``rule`` holds for ``facts`` (an unknown fact is "not true")."""
    return (
        (not rule.voltage or rule.voltage == facts.voltage)
        and (rule.power_sources is None or rule.power_sources == facts.power_sources)
        and _condition(rule.external_works, facts.external_works)
        and _condition(rule.road_excavation, facts.external_works and facts.road_excavation)
        and _condition(rule.green_space, facts.external_works and facts.green_space)
        and _condition(rule.permits_needed, facts.permits_needed)
    )


# A policy's rules in table order with their units: read once per policy instance (or for many policies
# at once with ``prefetch_related(RULES)``), then ``rules_for`` and ``rule_for_stage`` reuse them.
RULES = Prefetch(
    "rules",
    queryset=PolicyRule.objects.select_related("responsible_org", "coordinating_org").order_by(
        "sort_order", "id"
    ),
)


def _rules(policy: PolicyDocument) -> list[PolicyRule]:
    prefetch_related_objects([policy], RULES)  # no query once read
    return list(policy.rules.all())


def is_joint_step(rule: PolicyRule) -> bool:
    """A step inside a permit (or the fee), timed per unit within the permit's own clock."""
    return rule.parent_stage not in ("", StageCode.APPROVAL)


def rules_for(policy: PolicyDocument, facts: CaseFacts) -> list[PolicyRule]:
    """The stages a case with these facts goes through, in order, one rule per stage (overall and the
    joint steps inside the permits excluded)."""
    seen = set()
    found = []
    for rule in _rules(policy):
        if (
            rule.stage == StageCode.OVERALL
            or rule.stage in seen
            or is_joint_step(rule)
            or not rule_matches(rule, facts)
        ):
            continue
        seen.add(rule.stage)
        found.append(rule)
    return found


def rule_for_stage(policy: PolicyDocument, facts: CaseFacts, stage: str) -> PolicyRule | None:
    """The rule of ``stage`` (``overall`` included) for these facts, or None."""
    for rule in _rules(policy):
        if rule.stage == stage and rule_matches(rule, facts):
            return rule
    return None


def rule_for_unit(policy: PolicyDocument, facts: CaseFacts, stage: str, organisation_id) -> PolicyRule | None:
    """The rule of a joint step ``stage`` whose responsible unit is ``organisation_id`` (None: the
    applicant's own part) for these facts, or None. A joint step has one rule per unit."""
    for rule in _rules(policy):
        if rule.stage == stage and rule.responsible_org_id == organisation_id and rule_matches(rule, facts):
            return rule
    return None
