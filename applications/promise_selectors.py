"""Reading 一证受理's promises: what is promised, by when, and when it was supplied."""

from django.utils import timezone

from .promises import PromisedMaterial


def promised_of(application) -> list[PromisedMaterial]:
    """The case's promised materials by due date (read once when the case was read with
    ``prefetch_related("promised_materials")``)."""
    return sorted(application.promised_materials.all(), key=lambda p: (p.due_at, p.pk))


def promised_rows(application, tz=None) -> list[dict]:
    """The API's ``promised_materials`` of a case."""
    tz = tz or timezone.get_current_timezone()

    def instant(value):
        return None if value is None else value.astimezone(tz)

    return [
        {
            "kind": p.kind,
            "due_at": instant(p.due_at),
            "supplied_at": instant(p.supplied_at),
            "missed_at": instant(p.missed_at),
        }
        for p in promised_of(application)
    ]
