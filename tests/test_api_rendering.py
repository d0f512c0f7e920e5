"""The API's JSON renderer (hhht_power.drf) answers what DRF's own would, byte for byte, whatever the
Accept header."""

import datetime
import decimal
import json
import uuid
from collections import OrderedDict
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from hhht_power.drf import JSONRenderer

PAYLOAD = {
    "count": 3,
    "ok": True,
    "none": None,
    "ratio": 0.25,
    "money": decimal.Decimal("12.50"),
    "label": gettext_lazy("申请人名称"),
    "text": '呼和浩特市赛罕区 \u2028 line \u2029 "quoted" \\ tab\t',
    "at": datetime.datetime(2026, 11, 30, 8, 0, 5, 120000, tzinfo=datetime.UTC),
    "local": datetime.datetime(2026, 11, 30, 16, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
    # Instants in the portal's zone, with microseconds or none.
    "shanghai": datetime.datetime(2026, 11, 30, 16, 0, 5, 7, tzinfo=ZoneInfo("Asia/Shanghai")),
    "whole": datetime.datetime(2026, 11, 30, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    "london": datetime.datetime(2026, 1, 5, 10, 0, 1, 500000, tzinfo=ZoneInfo("Europe/London")),
    "west": datetime.datetime(
        2026, 3, 1, 9, tzinfo=datetime.timezone(-datetime.timedelta(hours=3, minutes=30))
    ),
    "naive": datetime.datetime(2026, 11, 30, 16, 0, 0, 1),
    "times": [datetime.datetime(2026, 11, 30, h, tzinfo=datetime.UTC) for h in range(3)],
    "day": datetime.date(2026, 12, 1),
    "clock": datetime.time(23, 59, 59, 999999),
    "time": datetime.time(9, 30),
    "span": datetime.timedelta(days=2, hours=3),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tuple": (1, "二"),
    "nested": ReturnDict(OrderedDict(a=[ReturnList([{"b": 1}], serializer=None)]), serializer=None),
    1: "integer key",
    "set": frozenset(),
}


def test_the_same_bytes_as_drfs_renderer():
    assert JSONRenderer().render(PAYLOAD) == renderers.JSONRenderer().render(PAYLOAD)
    assert JSONRenderer().render(None) == b""


def test_instants_are_written_as_drf_writes_them():
    old = {"at": datetime.datetime(1890, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))}
    assert JSONRenderer().render(old) == renderers.JSONRenderer().render(old)


def test_indented_and_unusual_output_is_left_to_drf():
    for media_type in ("application/json; indent=4", "application/json; indent=0"):
        assert JSONRenderer().render(PAYLOAD, media_type) == renderers.JSONRenderer().render(
            PAYLOAD, media_type
        )
    huge = {"n": 2**70}  # beyond orjson's integers
    assert JSONRenderer().render(huge) == b'{"n":1180591620717411303424}'
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept,query,content_type,indented",
    [
        (None, "", "application/json", False),
        ("*/*", "", "application/json", False),
        ("application/json", "", "application/json", False),
        ("application/json; indent=2", "", "application/json", True),
        ("text/html,*/*;q=0.8", "?format=json", "application/json", False),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "", "text/html; charset=utf-8", None),
    ],
)
def test_the_api_answers_each_accept_header_as_drf_does(
    api_as, customer, accept, query, content_type, indented
):
    client = api_as(customer)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(f"/api/v1/applications/{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    if indented is None:  # a browser gets the browsable API page
        assert b"<html" in response.content
        return
    assert json.loads(response.content)["results"] == []
    assert (b"\n  " in response.content) is indented


@pytest.mark.django_db
def test_an_accept_header_nothing_answers_is_refused(api_as, customer):
    response = api_as(customer).get("/api/v1/applications/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
