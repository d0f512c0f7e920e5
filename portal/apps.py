from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The browser pages: on top of every app, reading them all; no app imports it."""

    name = "portal"
    verbose_name = _("门户页面")
