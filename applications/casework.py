"""What every writer of a case shares: the row lock, the customer's notice, the case's address, 三零服务."""

from decimal import Decimal

from django.urls import NoReverseMatch, reverse

from deadlines.notifications import notify
from hhht_power.logs import bind_case

from . import validation as v
from .models import ApplicantType, Application, AuditEntry, DocumentKind, Voltage
from .transitions import BY_NAME


def locked(application_id) -> Application:
    application = Application.objects.select_for_update(of=("self",)).get(pk=application_id)
    bind_case(application)
    return application


def notify_customer(application, entry: AuditEntry):
    step = BY_NAME.get(entry.transition)
    message = step.message if step is not None else None
    if message is None:
        return
    number = application.number or str(application)
    body = entry.reason or ""
    if entry.transition == "return_for_materials":
        # The one-time notice 一次性告知: every item in one message.
        lines = [
            f"{i}. {DocumentKind(item['kind']).label}" + (f"：{item['reason']}" if item["reason"] else "")
            for i, item in enumerate(application.notice, start=1)
        ]
        body = "\n".join([*lines, body]).strip()
    notify(
        recipients=[application.customer],
        kind="application",
        title=str(message % {"number": number}),
        body=body,
        url=case_url(application),
        subject=application,
        dedupe_key=f"application:{application.pk}:audit:{entry.pk}",
    )


def case_url(application) -> str:
    """Where a person follows the case: its portal page once that exists, else its application form."""
    try:
        return reverse("applications:detail", kwargs={"pk": application.pk})
    except NoReverseMatch:
        return reverse("applications:form", kwargs={"pk": application.pk})


def decide_zero_investment(application):
    """三零服务: LV small/micro up to the policy threshold pays nothing (recorded as cost 0)."""
    threshold = v.policy_parameter("zero_investment_max_kva", on=application.policy_date)
    zero = (
        application.voltage == Voltage.LOW
        and application.applicant_type == ApplicantType.SMALL_MICRO
        and application.total_capacity_kva <= threshold  # 用电总容量 (增容: existing + added)
    )
    application.zero_investment = zero
    if zero:
        application.customer_cost = Decimal("0")
