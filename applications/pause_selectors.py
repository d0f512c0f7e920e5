"""Reading the pause ledger: a case's pauses as the API and the case page show them."""

from django.utils import timezone

from .pauses import Pause, PauseState


def pauses_of(application) -> list[Pause]:
    """The case's pauses and requests, oldest first, with their reason and people (one query)."""
    return list(
        Pause.objects.filter(application=application)
        .select_related("reason", "requested_by", "answered_by", "ended_by")
        .order_by("requested_at", "id")
    )


def confirmed_by(pause: Pause):
    """Who let the pause start (the customer, or the supervisor for an external cause); None for a pause
    the case's own step started, or a request not (or not yet) confirmed."""
    return pause.answered_by if pause.state in (PauseState.ACTIVE, PauseState.ENDED) else None


def pause_rows(application, tz=None) -> list[dict]:
    """The API's ``pauses`` of a case."""
    tz = tz or timezone.get_current_timezone()

    def instant(value):
        return None if value is None else value.astimezone(tz)

    rows = []
    for pause in pauses_of(application):
        by = confirmed_by(pause)
        rows.append(
            {
                "id": pause.pk,
                "reason_code": pause.reason.code,
                "reason": str(pause.reason),
                "state": pause.state,
                "note": pause.note,
                "requested_by": str(pause.requested_by) if pause.requested_by_id else None,
                "confirmed_by": str(by) if by else None,
                "requested_at": instant(pause.requested_at),
                "expires_at": instant(pause.expires_at),
                "started_at": instant(pause.started_at),
                "ended_at": instant(pause.ended_at),
                "working_days": pause.working_days,
            }
        )
    return rows
