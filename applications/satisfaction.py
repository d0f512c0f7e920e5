"""The customer's satisfaction rating 满意度评价, given once after power-on.

The model is imported at the bottom of ``models.py`` so migrations and the admin see it; its writer is
``portal_services.application_rate``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MIN_SCORE = 1
MAX_SCORE = 5
COMMENT_MAX = 500


class SatisfactionRating(models.Model):
    """One rating per connected case, by its customer: a score of 1 to 5 and an optional comment."""

    application = models.OneToOneField(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="rating",
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        _("满意度"), validators=[MinValueValidator(MIN_SCORE), MaxValueValidator(MAX_SCORE)]
    )
    comment = models.TextField(_("评价内容"), max_length=COMMENT_MAX, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        ordering = ["-rated_at", "-id"]
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE) & Q(score__lte=MAX_SCORE), name="rating_score_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.application_id}: {self.score}"
