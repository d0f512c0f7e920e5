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
# A rating at or below this is followed up by the account manager's superior 回访.
LOW_SCORE = 2

SCORE_LABELS = {
    5: _("非常满意"),
    4: _("满意"),
    3: _("一般"),
    2: _("不满意"),
    1: _("非常不满意"),
}

# Why the customer rates as it does: tags it may tick (codes stored, labels shown).
RATING_TAGS = (
    ("fast", _("办理速度快")),
    ("online", _("全程网上办，不用跑腿")),
    ("friendly", _("服务热情周到")),
    ("clear", _("进度和要求告知清楚")),
    ("slow", _("办理时间长")),
    ("trips", _("多次跑腿或重复提交材料")),
    ("unclear", _("进度和要求不清楚")),
    ("attitude", _("服务态度差")),
    ("cost", _("收费不透明")),
)


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
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
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

    @property
    def score_label(self) -> str:
        return SCORE_LABELS.get(self.score, str(self.score))

    @property
    def tag_labels(self) -> list[str]:
        labels = dict(RATING_TAGS)
        return [str(labels[t]) for t in self.tags if t in labels]
