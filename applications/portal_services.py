"""Writers the browser portal needed beyond ``services.py``: the satisfaction rating after power-on and
the assignment of a case's account manager 客户经理. Same pattern as ``services.py``: lock the case row,
check the permission through the rules layer, write, audit.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.models import RoleCode, User
from accounts.permissions import can
from deadlines.notifications import notify
from hhht_power.text import enumeration

from . import validation as v
from .casework import locked
from .models import Application, ApplicationState, AuditEntry
from .satisfaction import COMMENT_MAX, LOW_SCORE, MAX_SCORE, MIN_SCORE, RATING_TAGS, SatisfactionRating

SCORE_INVALID = "score_invalid"
ALREADY_RATED = "already_rated"
NOT_AN_ACCOUNT_MANAGER = "not_an_account_manager"


def application_rate(
    *, application_id: int, actor, score, comment: str = "", tags=(), at: datetime | None = None
) -> SatisfactionRating:
    """The customer rates its connected case once (1 to 5, reason tags, optional comment). A low rating
    (``LOW_SCORE`` or less) is sent to the account manager's superior for a follow-up 回访.

    Raises PermissionDenied (not the case's customer), TransitionNotAllowed (not connected yet) and
    ValidationError (``score_invalid``, ``too_long``, ``already_rated``, ``invalid_choice``).
    """
    at = at or timezone.now()
    errors = {}
    known = {code for code, _label in RATING_TAGS}
    tags = list(dict.fromkeys(str(t) for t in (tags or ())))
    if any(t not in known for t in tags):
        errors["tags"] = [ValidationError(_("无效的评价标签。"), code=v.INVALID_CHOICE)]
    try:
        score = int(str(score).strip())
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise ValueError
    except (TypeError, ValueError):
        errors["score"] = [
            ValidationError(
                _("请选择1到5分。"), code=SCORE_INVALID, params={"min": MIN_SCORE, "max": MAX_SCORE}
            )
        ]
    comment = str(comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [
            ValidationError(_("最多 %(max)s 个字符。"), code=v.TOO_LONG, params={"max": COMMENT_MAX})
        ]
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.rate_service", application):
            raise PermissionDenied
        if application.state != ApplicationState.CONNECTED:
            raise TransitionNotAllowed(_("送电后才能评价。"))
        if errors:
            raise ValidationError(errors)
        if SatisfactionRating.objects.filter(application=application).exists():
            raise ValidationError({"score": [ValidationError(_("您已评价过此申请。"), code=ALREADY_RATED)]})
        try:
            with transaction.atomic():
                rating = SatisfactionRating.objects.create(
                    application=application,
                    customer=actor,
                    score=score,
                    comment=comment,
                    tags=tags,
                    rated_at=at,
                )
        except IntegrityError:
            raise ValidationError({"score": [ValidationError(_("您已评价过此申请。"), code=ALREADY_RATED)]})
        AuditEntry.record(
            application,
            actor=actor,
            name="rate",
            from_state=application.state,
            at=at,
            data={"score": score, "comment": comment, "tags": tags},
        )
        if score <= LOW_SCORE:
            _follow_up_low_rating(application, rating, at=at)
    return rating


LOW_RATING_TITLE = _("低分评价待回访：申请 %(number)s 客户评价“%(score)s”")


def follow_up_recipients(application) -> list[User]:
    """Who follows up a low rating: the account manager's superior 直属领导, else the leaders of the
    manager's organisation; without an account manager, the bureau's leaders."""
    manager = application.account_manager
    if manager is not None and manager.reports_to_id and manager.reports_to.is_active:
        return [manager.reports_to]
    org_id = manager.organisation_id if manager is not None else None
    leaders = User.objects.filter(is_active=True, roles__code=RoleCode.LEADER)
    if org_id is not None:
        leaders = leaders.filter(organisation_id=org_id)
    else:
        leaders = leaders.filter(roles__code=RoleCode.PSB_STAFF)
    return list(leaders.distinct())


def _follow_up_low_rating(application, rating, *, at) -> None:
    labels = enumeration(rating.tag_labels)
    body = "；".join(part for part in (labels, rating.comment) if part)
    notify(
        recipients=follow_up_recipients(application),
        kind="low_rating",
        title=str(LOW_RATING_TITLE % {"number": application.number, "score": rating.score_label}),
        body=body,
        url=reverse("applications:detail", kwargs={"pk": application.pk}),
        subject=application,
        dedupe_key=f"rating:{rating.pk}:low",
        at=at,
    )


def account_managers():
    """The users who may be a case's account manager (active, with that role, in the power bureau)."""
    return (
        User.objects.filter(is_active=True, roles__code=RoleCode.ACCOUNT_MANAGER)
        .select_related("organisation")
        .order_by("real_name", "username")
        .distinct()
    )


def application_assign_manager(
    *, application_id: int, actor, manager_id, at: datetime | None = None
) -> Application:
    """Bureau staff give an open, submitted case its account manager.

    Raises PermissionDenied, TransitionNotAllowed (draft or closed case) and ValidationError
    (``not_an_account_manager``).
    """
    at = at or timezone.now()
    with transaction.atomic():
        application = locked(application_id)
        if not can(actor, "applications.assign_account_manager", application):
            raise PermissionDenied
        if application.state == ApplicationState.DRAFT or not application.is_open:
            raise TransitionNotAllowed(_("当前状态下不能指定客户经理。"))
        try:
            manager = account_managers().get(pk=int(manager_id))
        except (TypeError, ValueError, User.DoesNotExist):
            raise ValidationError(
                {"account_manager": [ValidationError(_("请选择一位客户经理。"), code=NOT_AN_ACCOUNT_MANAGER)]}
            )
        previous = application.account_manager_id
        application.account_manager = manager
        application.save(update_fields=["account_manager"])
        AuditEntry.record(
            application,
            actor=actor,
            name="assign_manager",
            from_state=application.state,
            at=at,
            data={"account_manager": manager.pk, "previous": previous},
        )
    return application
