"""预约装表: staff of the power bureau open visit slots for meter installation; the customer of a case in
竣工装表 books one; the booking shows on both sides. Imported at the bottom of ``models.py`` so that
migrations and the admin see the models; the writers are below, the readers beside them."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from accounts.models import RoleCode

SLOT_FULL = "slot_full"
SLOT_INVALID = "slot_invalid"
MAX_CAPACITY = 20


class MeterVisitSlot(models.Model):
    """A time window in which the bureau can visit to install meters, for ``capacity`` cases."""

    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("可预约户数"), default=1)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("开放人"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("开放时间"), default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("装表预约时段")
        verbose_name_plural = _("装表预约时段")
        indexes = [models.Index(fields=["starts_at"], name="slot_starts_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after")
        ]

    def __str__(self):
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}—{end:%H:%M}"


class MeterVisitBooking(models.Model):
    """The customer's booking of one slot for its case (one per case; booking again replaces it)."""

    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="meter_visit",
    )
    slot = models.ForeignKey(
        MeterVisitSlot, verbose_name=_("预约时段"), on_delete=models.PROTECT, related_name="bookings"
    )
    booked_at = models.DateTimeField(_("预约时间"))

    class Meta:
        verbose_name = _("装表预约")
        verbose_name_plural = _("装表预约")

    def __str__(self):
        return f"{self.application_id}: {self.slot}"


def open_slots(now=None):
    """Future slots with room left, soonest first, with ``booked`` counted."""
    now = now or timezone.now()
    return (
        MeterVisitSlot.objects.filter(starts_at__gt=now)
        .annotate(booked=Count("bookings"))
        .filter(booked__lt=F("capacity"))
        .order_by("starts_at", "pk")
    )


def slot_open(*, actor, starts_at: datetime | None, ends_at: datetime | None, capacity) -> MeterVisitSlot:
    """Power-bureau staff open a slot. Raises PermissionDenied and ValidationError (by field)."""
    if not actor.has_role(RoleCode.PSB_STAFF, RoleCode.ACCOUNT_MANAGER):
        raise PermissionDenied
    errors = {}
    if starts_at is None:
        errors["starts_at"] = [ValidationError(_("请填写开始时间。"), code="required")]
    elif starts_at <= timezone.now():
        errors["starts_at"] = [ValidationError(_("开始时间须晚于现在。"), code=SLOT_INVALID)]
    if ends_at is None:
        errors["ends_at"] = [ValidationError(_("请填写结束时间。"), code="required")]
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [ValidationError(_("结束时间须晚于开始时间。"), code=SLOT_INVALID)]
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError
    except (TypeError, ValueError):
        errors["capacity"] = [
            ValidationError(_("可预约户数为1到%(max)s。") % {"max": MAX_CAPACITY}, code=SLOT_INVALID)
        ]
    if errors:
        raise ValidationError(errors)
    return MeterVisitSlot.objects.create(
        starts_at=starts_at, ends_at=ends_at, capacity=capacity, opened_by=actor
    )


def visit_book(*, application_id: int, actor, slot_id, at=None) -> MeterVisitBooking:
    """The case's customer books (or changes to) a slot while the case is in 竣工装表.

    Raises PermissionDenied (not the case's customer), TransitionNotAllowed (not in 竣工装表) and
    ValidationError on ``slot`` (``slot_invalid``, ``slot_full``)."""
    from .models import Application, ApplicationState

    at = at or timezone.now()
    with transaction.atomic():
        application = Application.objects.select_for_update(of=("self",)).get(pk=application_id)
        if application.customer_id != actor.pk:
            raise PermissionDenied
        if application.state != ApplicationState.INSTALLING:
            raise TransitionNotAllowed(_("竣工装表阶段才能预约装表。"))
        slot = MeterVisitSlot.objects.select_for_update().filter(pk=_int(slot_id), starts_at__gt=at).first()
        if slot is None:
            raise ValidationError(
                {"slot": [ValidationError(_("请选择一个可预约的时段。"), code=SLOT_INVALID)]}
            )
        taken = slot.bookings.exclude(application=application).count()
        if taken >= slot.capacity:
            raise ValidationError({"slot": [ValidationError(_("该时段已约满，请另选。"), code=SLOT_FULL)]})
        booking, _created = MeterVisitBooking.objects.update_or_create(
            application=application, defaults={"slot": slot, "booked_at": at}
        )
    return booking


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
