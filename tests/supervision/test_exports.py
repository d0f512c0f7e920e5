"""Excel exports: user text is text (a would-be formula neutralised as OWASP's CSV-injection guidance
says), instants and days are Excel dates in local time, amounts and counts numbers."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from applications.models import Application
from supervision import exports
from tests.supervision.conftest import NOW, PERIOD

EVIL = '=HYPERLINK("http://attacker.example/","点此")'


def _sheet(rows, headers=("a",)):
    return load_workbook(BytesIO(exports.workbook([("s", headers, rows)]))).worksheets[0]


@pytest.mark.parametrize("text", [EVIL, "+86 471", "-1+1", "@SUM(A1:A2)", "\t=1", "\r=1"])
def test_a_leading_formula_character_is_neutralised(text):
    cell = _sheet([(text,)])["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text.replace("\r", "\n")  # XML reads a lone CR back as LF


def test_plain_text_dates_and_numbers_keep_their_type():
    moment = datetime(2026, 10, 9, 1, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Hohhot
    ws = _sheet(
        [("呼和浩特青城商贸", moment, date(2026, 10, 9), Decimal("80.50"), 6, None)], headers="abcdef"
    )
    name, instant, day, amount, count, empty = ws[2]
    assert name.value == "呼和浩特青城商贸"
    assert instant.is_date and instant.value == datetime(2026, 10, 9, 9, 30)
    assert day.is_date and day.value == datetime(2026, 10, 9)
    assert amount.data_type == "n" and amount.value == 80.5
    assert count.value == 6 and empty.value is None


@pytest.mark.django_db
def test_an_applicant_named_like_a_formula_is_exported_as_text(client, dataset, gxj):
    Application.objects.filter(pk=dataset.B.pk).update(applicant_name=EVIL)
    with time_machine.travel(NOW, tick=False):
        client.force_login(gxj)
        response = client.get(
            "/supervision/cases/", {"fig": "state", "state": "connected", "export": "xlsx", **PERIOD}
        )
    assert response.status_code == 200
    with zipfile.ZipFile(BytesIO(response.content)) as xlsx:
        sheet_xml = xlsx.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere in the sheet
    ws = load_workbook(BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == dataset.B.number)
    assert row[1].value == "'" + EVIL and row[1].data_type == "s"
    submitted = row[headers.index("提交时间")]
    assert submitted.is_date and isinstance(submitted.value, datetime)
    assert row[headers.index("容量（kVA）")].data_type == "n"
