"""Excel exports (openpyxl): Chinese headers, working-day figures, one sheet per list.

Every text cell is written as text, and one that a spreadsheet would read as a formula (a leading ``=``,
``+``, ``-``, ``@``, tab or carriage return: OWASP's CSV-injection guidance) gets a leading apostrophe, so
an applicant named ``=HYPERLINK(...)`` stays a name. Instants and days are Excel dates in local time,
amounts and counts numbers.
"""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from applications.models import ApplicationState
from deadlines.models import Level, StageCode

from .categories import category_label
from .figures import CASE_STATES, LIST_LEVELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _write(cell, value) -> str:
    """Put ``value`` into ``cell`` with its type; returns the text its column width is judged by."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = _("是") if value else _("否")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        cell.value, cell.number_format = value.replace(microsecond=0), DATETIME_FORMAT
        return "2026-01-01 00:00"
    if isinstance(value, date):
        cell.value, cell.number_format = value, DATE_FORMAT
        return "2026-01-01"
    if isinstance(value, float | int | Decimal):
        cell.value = round(float(value), 2) if isinstance(value, float | Decimal) else value
        return str(cell.value)
    text = neutralise(str(value))
    cell.value = text
    cell.data_type = TYPE_STRING  # never a formula, whatever openpyxl guessed
    return text


def workbook(sheets) -> bytes:
    """``sheets``: [(title, headers, rows)] -> the .xlsx bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        widths = []
        for column, header in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=column)
            text = _write(cell, str(header))
            cell.font = Font(bold=True)
            widths.append(max(8, len(text) * 2 + 2))
        for row_number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                text = _write(ws.cell(row=row_number, column=column), value)
                widths[column - 1] = min(60, max(widths[column - 1], len(text) + 2))
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


# The sheets of the supervision pages ------------------------------------------------------------------
def _num(value, digits=1):
    return None if value is None else round(value, digits)


def dashboard_sheets(figures, f):
    """Every list of the dashboard as sheets of one workbook."""
    period = f"{f.date_from:%Y-%m-%d} — {f.date_to:%Y-%m-%d}"
    states = figures["states"]
    sheets = [
        (
            _("按状态统计"),
            [_("状态"), _("件数"), _("统计期间（提交时间）")],
            [(ApplicationState(s).label, states[s], period) for s in CASE_STATES]
            + [(_("合计"), states["total"], period)],
        ),
        (
            _("在办环节"),
            [_("环节"), _("在办"), _("暂停计时"), _("预警"), _("超期"), _("督办")],
            [
                (r["label"], r["total"], r["paused"], r["warning"], r["overdue"], r["escalated"])
                for r in figures["open_stages"]
            ],
        ),
    ]
    for level in LIST_LEVELS:
        sheets.append(
            (
                _("%(level)s清单") % {"level": Level(level).label},
                [
                    _("申请编号"),
                    _("申请人"),
                    _("办电类别"),
                    _("环节"),
                    _("责任单位"),
                    _("协调部门"),
                    _("到期时间"),
                    _("超期工作日"),
                    _("临时推算"),
                    _("督办单"),
                ],
                [
                    (
                        *_case_cells(c),
                        c.get_stage_display(),
                        c.responsible_org.name if c.responsible_org else "",
                        c.coordinating_org.name if c.coordinating_org else "",
                        c.due_day,
                        c.days_late,
                        _("是") if c.provisional else _("否"),
                        c.open_order.get_state_display() if c.open_order else "",
                    )
                    for c in figures["lists"][level]
                ],
            )
        )
    sheets.append(
        (
            _("全流程超期风险"),
            [
                _("申请编号"),
                _("申请人"),
                _("办电类别"),
                _("承诺送电"),
                _("剩余工作日"),
                _("后续环节所需"),
                _("临时推算"),
            ],
            [
                (
                    *_case_cells(c),
                    c.due_day,
                    c.risk_budget,
                    c.risk_need,
                    _("是") if c.provisional else _("否"),
                )
                for c in figures["at_risk"]["rows"]
            ],
        )
    )
    labels = [str(label) for _c, label in figures["durations"]["categories"]]
    headers = [_("环节")]
    for label in labels:
        headers += [f"{label} {_('件数')}", f"{label} {_('平均工作日')}", f"{label} {_('90%分位工作日')}"]
    rows = []
    for r in figures["durations"]["rows"]:
        row = [r["label"]]
        for cell in r["cells"]:
            row += [cell["n"], _num(cell["mean"]), _num(cell["p90"])]
        rows.append(row)
    sheets.append((_("环节用时"), headers, rows))
    sheets.append(
        (
            _("责任单位按时率"),
            [_("责任单位"), _("办结环节"), _("按时"), _("超期办结"), _("按时率（%）"), _("在办超期")],
            [
                (
                    r["responsible_org__name"],
                    r["n"],
                    r["on_time"],
                    r["late"],
                    _num(r["rate"]),
                    r["open_overdue"],
                )
                for r in figures["orgs"]
            ],
        )
    )
    sheets += pause_sheets(figures["pauses"])
    c = figures["indicators"]["commitments"]
    sheets.append(
        (
            _("承诺兑现"),
            [_("办电类别"), _("承诺（工作日）"), _("送电件数"), _("平均工作日"), _("超出承诺件数")],
            [
                (
                    r["label"],
                    r["limit"] if r["limit"] is not None else _("未规定"),
                    r["n"],
                    _num(r["mean"]),
                    r["broken"],
                )
                for r in c["rows"]
            ]
            + [(_("全部（平均承诺）"), c["average_limit"], c["n"], _num(c["mean"]), c["broken"])],
        )
    )
    sheets.append(
        (
            _("月度趋势"),
            [_("月份"), _("提交件数"), _("送电件数"), _("平均工作日"), _("超出承诺件数")],
            [
                (f"{r['month']:%Y-%m}", r["submitted"], r["connected"], _num(r["mean"]), r["broken"])
                for r in figures["trend"]
            ],
        )
    )
    sheets.append(
        (
            _("获得电力指标"),
            [
                _("办电类别"),
                _("客户环节数"),
                _("送电件数"),
                _("平均工作日"),
                _("平均自然日"),
                _("平均客户投资（元）"),
                _("零投资件数"),
                _("零投资占比（%）"),
            ],
            [
                (
                    r["label"],
                    r["procedures"],
                    r["n"],
                    _num(r["working_days"]),
                    _num(r["calendar_days"]),
                    _num(r["cost"], 2),
                    r["zero"],
                    _num(r["zero_share"]),
                )
                for r in figures["indicators"]["rows"]
            ],
        )
    )
    s = figures["satisfaction"]
    if s is not None:
        sheets.append(
            (
                _("满意度"),
                [_("评价件数"), _("平均分"), *[_("%(n)s分") % {"n": i} for i in range(5, 0, -1)]],
                [(s["n"], _num(s["mean"], 2), *[n for _i, n in s["scores"]])],
            )
        )
    sheets.append(order_sheet(figures["orders"]["unclosed"], _("未办结督办单")))
    return sheets


def pause_sheets(pauses) -> list:
    """The dashboard's pause figures (``supervision.pauses``): per responsible unit, and the pauses asked
    for in the last working day before the deadline."""
    return [
        (
            _("暂停计时（按责任单位）"),
            [
                _("责任单位"),
                _("暂停次数"),
                _("其中外部原因"),
                _("暂停工作日"),
                _("暂停案件"),
                _("办理案件"),
                _("暂停案件占比（%）"),
            ],
            [
                (
                    r["org"].name,
                    r["pauses"],
                    r["external"],
                    r["working_days"],
                    r["cases"],
                    r["cases_worked"],
                    r["share"],
                )
                for r in pauses["by_unit"]
            ],
        ),
        (
            _("到期前最后一个工作日内申请的暂停"),
            [
                _("申请编号"),
                _("环节"),
                _("责任单位"),
                _("原因"),
                _("申请人"),
                _("申请时间"),
                _("环节到期"),
                _("状态"),
            ],
            [
                (
                    p.application.number,
                    StageCode(p.stage).label if p.stage in StageCode.values else p.stage,
                    p.responsible_org.name if p.responsible_org else "",
                    str(p.reason),
                    str(p.requested_by) if p.requested_by else "",
                    p.requested_at,
                    p.stage_due_at,
                    p.get_state_display(),
                )
                for p in pauses["near_deadline"]["rows"]
            ],
        ),
    ]


def _case_cells(clock) -> tuple:
    """A listed clock's case in a sheet: number, applicant, category (the clock's subject id when the
    case is gone)."""
    case = clock.application
    if case is None:
        return clock.subject_id, "", ""
    return case.number, case.applicant_name, category_label(case)


def order_sheet(orders, title):
    return (
        title,
        [
            _("督办单号"),
            _("申请编号"),
            _("环节"),
            _("督办单位"),
            _("责任单位"),
            _("督办时间"),
            _("要求答复日期"),
            _("状态"),
            _("答复时间"),
            _("督办事项"),
        ],
        [
            (
                o.pk,
                o.application.number,
                StageCode(o.stage).label,
                o.issuing_org.name,
                o.responsible_org.name,
                o.issued_at,
                o.reply_due,
                o.get_state_display(),
                o.replied_at,
                o.instruction,
            )
            for o in orders
        ],
    )


def case_sheet(title, qs):
    return (
        title,
        [
            _("申请编号"),
            _("申请人"),
            _("办电类别"),
            _("业务类型"),
            _("容量（kVA）"),
            _("状态"),
            _("当前环节"),
            _("环节状态"),
            _("提交时间"),
            _("送电时间"),
            _("全流程用时（工作日）"),
            _("超出承诺"),
            _("零投资"),
            _("客户投资（元）"),
        ],
        [
            (
                a.number,
                a.applicant_name,
                category_label(a),
                a.get_business_display(),
                a.capacity_kva,
                a.get_state_display(),
                StageCode(a.current_stage).label if a.current_stage else "",
                Level(a.current_level).label if a.current_level else "",
                a.submitted_at,
                a.connected_at,
                a.overall_days,
                "" if a.overall_late is None else (_("是") if a.overall_late else _("否")),
                _("是") if a.zero_investment else _("否"),
                a.customer_cost,
            )
            for a in qs.iterator(chunk_size=2000)
        ],
    )


def credit_sheet(records, title):
    return (
        title,
        [
            _("记录号"),
            _("类别"),
            _("状态"),
            _("单位"),
            _("申请人"),
            _("申请编号"),
            _("环节"),
            _("超期工作日"),
            _("事实与依据"),
            _("记录时间"),
            _("修复时间"),
            _("修复理由"),
        ],
        [
            (
                r.pk,
                r.get_kind_display(),
                r.get_state_display(),
                r.organisation.name if r.organisation else "",
                r.applicant_name,
                r.case_number or "",
                r.get_stage_display() if r.stage else "",
                r.working_days_late,
                r.evidence,
                r.recorded_at,
                r.corrected_at,
                r.correction_reason,
            )
            for r in records
        ],
    )
