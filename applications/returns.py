"""A second return with the one-time notice 再次退回: the notice lists everything missing at once, so a
case is returned once; another return needs the coordinating supervisor's approval, one approval per
return. Imported at the bottom of ``models.py``; written by ``gates``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReturnApproval(models.Model):
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="return_approvals",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"))
    reason = models.TextField(_("批准理由"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        ordering = ["approved_at", "id"]
        verbose_name = _("再次退回批准")
        verbose_name_plural = _("再次退回批准")

    def __str__(self):
        return f"{self.application_id} {self.approved_at:%Y-%m-%d}"
