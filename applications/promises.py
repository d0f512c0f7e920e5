"""一证受理 with 告知承诺: a case submitted with the identity proof alone, the rest promised by a date.

``Commitment`` is the signed 承诺书 (its text, who, when, from which address); ``PromisedMaterial`` one
promised kind with its due instant and when it was supplied, or missed (then the case is paused with the
one-time notice and a credit record is written against the applicant). Imported at the bottom of
``models.py``; the writers are in ``promise_services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import DocumentKind


class Commitment(models.Model):
    """告知承诺书: what is missing, by when it will be supplied, and the consequence, as signed."""

    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承诺人"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("承诺书内容"))
    signed_at = models.DateTimeField(_("签署时间"))
    request_address = models.GenericIPAddressField(_("签署地址"), null=True, blank=True)
    due_at = models.DateTimeField(_("补交期限"))

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("告知承诺书")
        verbose_name_plural = _("告知承诺书")

    def __str__(self):
        return f"{self.application_id} {self.signed_at:%Y-%m-%d}"


class PromisedMaterial(models.Model):
    """One material promised under a commitment."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("告知承诺书"), on_delete=models.PROTECT, related_name="materials"
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="promised_materials",
    )
    kind = models.CharField(_("资料类别"), max_length=30, choices=DocumentKind.choices)
    due_at = models.DateTimeField(_("补交期限"))
    supplied_at = models.DateTimeField(_("补交时间"), null=True, blank=True)
    document = models.ForeignKey(
        "applications.Document",
        verbose_name=_("补交资料"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    missed_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("承诺补交资料")
        verbose_name_plural = _("承诺补交资料")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(supplied_at__isnull=True),
                name="one_open_promise_per_kind",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="promise_open_due",
                condition=Q(supplied_at__isnull=True, missed_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.application_id} {self.kind}"
