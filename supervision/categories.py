"""The four case categories 办电类别 of the supervision figures (SPEC section 4), as data.

A low-voltage case whose supply plan has not been answered yet has no category (external works unknown):
it counts in the "all" figures only.
"""

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deadlines.policy import CaseFacts

LV_PLAIN = "lv_plain"
LV_EXTERNAL = "lv_external"
HV_SINGLE = "hv_single"
HV_DUAL = "hv_dual"

CATEGORIES = {
    LV_PLAIN: _("低压无外线工程"),
    LV_EXTERNAL: _("低压有外线工程"),
    HV_SINGLE: _("高压单电源"),
    HV_DUAL: _("高压双电源"),
}

# Filters on ``applications.Application``.
CATEGORY_Q = {
    LV_PLAIN: Q(voltage="low", external_works=False),
    LV_EXTERNAL: Q(voltage="low", external_works=True),
    HV_SINGLE: Q(voltage="high", power_sources=1),
    HV_DUAL: Q(voltage="high", power_sources=2),
}

# The service guide shows, per category, every stage a case of it may go through (each rule says its own
# condition): the facts with every optional part switched on.
GUIDE_FACTS = {
    LV_PLAIN: CaseFacts(
        voltage="low",
        power_sources=None,
        applicant_type="small_micro",
        capacity_kva=Decimal("50"),
        external_works=False,
        road_excavation=False,
        green_space=False,
    ),
    LV_EXTERNAL: CaseFacts(
        voltage="low",
        power_sources=None,
        applicant_type="small_micro",
        capacity_kva=Decimal("50"),
        external_works=True,
        road_excavation=True,
        green_space=True,
    ),
    HV_SINGLE: CaseFacts(
        voltage="high",
        power_sources=1,
        applicant_type="enterprise",
        capacity_kva=Decimal("800"),
        external_works=True,
        road_excavation=True,
        green_space=True,
    ),
    HV_DUAL: CaseFacts(
        voltage="high",
        power_sources=2,
        applicant_type="enterprise",
        capacity_kva=Decimal("5000"),
        external_works=True,
        road_excavation=True,
        green_space=True,
    ),
}

# 获得电力 indicator "procedures": the steps the customer itself goes through (SPEC section 2: the customer
# sees only 用电申请 and 竣工装表), per category.
CUSTOMER_PROCEDURES = {
    LV_PLAIN: (_("用电申请"), _("竣工装表")),
    LV_EXTERNAL: (_("用电申请"), _("竣工装表")),
    HV_SINGLE: (_("用电申请"), _("竣工装表")),
    HV_DUAL: (_("用电申请"), _("竣工装表")),
}


def category_of(application) -> str | None:
    if application.voltage == "low":
        if application.external_works is None:
            return None
        return LV_EXTERNAL if application.external_works else LV_PLAIN
    if application.power_sources == 1:
        return HV_SINGLE
    if application.power_sources == 2:
        return HV_DUAL
    return None


def category_label(application) -> str:
    code = category_of(application)
    return str(CATEGORIES[code]) if code else "—"
