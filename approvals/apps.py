from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("并联审批")

    def ready(self):
        from applications.permit_stage import PermitStage, register

        from . import services

        register(
            PermitStage(
                file=services.permits_file,
                withdraw=services.permits_withdraw,
                in_correction=services.permits_in_correction,
            )
        )
