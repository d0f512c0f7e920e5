"""Excel exports (openpyxl): Chinese headers, working-day figures, one sheet per list."""

from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return round(value, 2)
    if hasattr(value, "as_tuple"):  # Decimal
        return float(value)
    if isinstance(value, (int, str)):
        return value
    return str(value)


def workbook(sheets) -> bytes:
    """``sheets``: [(title, headers, rows)] -> the .xlsx bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.append([str(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
        for row in rows:
            values = [_cell(v) for v in row]
            ws.append(values)
            for i, v in enumerate(values):
                widths[i] = min(60, max(widths[i], len(str(v)) + 2))
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def response(filename: str, sheets) -> HttpResponse:
    resp = HttpResponse(workbook(sheets), content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    resp["Cache-Control"] = "private, no-store"
    return resp
