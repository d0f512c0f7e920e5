"""The supply address's district 旗县区 is stored structured: picked on the form (or read from the written
address), shown on the case, and the staff queue and the drill-down filter by it."""

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application, district_of
from tests.applications.factories import DocumentFactory, case_in_state, credit_code

pytestmark = pytest.mark.django_db


def _data(customer, **extra):
    docs = [DocumentFactory(owner=customer, kind=k).pk for k in ("identity", "property")]
    return {
        "business": "new",
        "voltage": "low",
        "applicant_type": "small_micro",
        "applicant_name": "托县小卖部",
        "id_number": credit_code(77),
        "contact_phone": "13947100077",
        "address": "双河镇南坪路8号",
        "capacity_kva": "30",
        "documents": docs,
        **extra,
    }


def test_district_is_picked_or_read_from_the_address(customer):
    with pytest.raises(Exception) as problem:
        services.application_create(customer=customer, data=_data(customer, district=""))
    assert "district" in problem.value.message_dict
    picked = services.application_create(customer=customer, data=_data(customer, district="togtoh"))
    assert picked.district == "togtoh" and picked.get_district_display() == "托克托县"
    # An API client sending only the written address: the district is read from it.
    written = services.application_create(
        customer=customer, data=_data(customer, address="内蒙古自治区呼和浩特市赛罕区大学西街1号")
    )
    assert written.district == "saihan"
    assert district_of("呼和浩特市某路") == ""


def test_the_form_offers_the_nine_districts(client, customer):
    client.force_login(customer)
    html = client.get(reverse("applications:create")).content.decode()
    for name in (
        "新城区",
        "回民区",
        "玉泉区",
        "赛罕区",
        "土默特左旗",
        "托克托县",
        "和林格尔县",
        "清水河县",
        "武川县",
    ):
        assert f">{name}</option>" in html


def test_queue_filters_by_district(client, psb_staff):
    a = case_in_state("submitted", staff=psb_staff)
    b = case_in_state("submitted", staff=psb_staff)
    Application.objects.filter(pk=a.pk).update(district="wuchuan")
    Application.objects.filter(pk=b.pk).update(district="yuquan")
    client.force_login(psb_staff)
    html = client.get(reverse("applications:queue"), {"district": "wuchuan"}).content.decode()
    assert a.number in html and b.number not in html and "武川县" in html
