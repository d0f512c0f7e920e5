"""The one way this app reaches the permit stage above it (``approvals``).

A case that needs permits files them when its design is finished, withdraws them when it closes, and keeps
the clocks of permits under correction paused when it resumes. ``approvals`` registers what does this at
start-up (``ApprovalsConfig.ready``), the way Django's signals decouple apps; this app imports nothing
above itself.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PermitStage:
    """``file(application=, actor=)``: open the permits of a case (inside its transaction).
    ``withdraw(application=, actor=, at=, reason=)``: stop the open permits of a closed case.
    ``in_correction(application) -> [stage code]``: permits waiting on the applicant's correction."""

    file: Callable
    withdraw: Callable
    in_correction: Callable


_registered: list[PermitStage] = []


def register(stage: PermitStage) -> None:
    _registered[:] = [stage]


def permit_stage() -> PermitStage:
    """The registered permit stage; ImproperlyConfigured when no app registered one (a case needing
    permits must never silently skip them)."""
    if not _registered:
        raise ImproperlyConfigured("No permit stage is registered: is 'approvals' in INSTALLED_APPS?")
    return _registered[0]
