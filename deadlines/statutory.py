"""Pure calendar data: the official package years and the provisional (statutory) years.

``official_package_days(year)`` reads chinese-calendar (2004–2026 in 1.11.0, holidays and 调休 make-up
working weekends included). ``provisional_days(year)`` is the fall-back for a year whose State Council
notice is not entered yet: weekends off plus the statutory holidays of 全国年节及纪念日放假办法 (2024
revision), lunar dates from lunar-python, and a statutory holiday that falls on a weekend made up on the
next working day (art. 6: 全体公民放假的假日，如果适逢周六、周日，应当在工作日补假). It never guesses the
make-up working weekends 调休: those exist only in the notice.
"""

from datetime import date, timedelta

from lunar_python import Lunar, Solar

FIRST_PACKAGE_YEAR = 2004


def package_knows(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 30))
    except NotImplementedError:
        return False
    return year >= FIRST_PACKAGE_YEAR


def _days(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def official_package_days(year: int) -> list[tuple[date, bool, str]]:
    """(date, is_working, note) for every date of ``year`` from chinese-calendar.

    Raises NotImplementedError (as the package does) for a year it does not know.
    """
    import chinese_calendar

    rows = []
    for day in _days(year):
        working = chinese_calendar.is_workday(day)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if working and day.weekday() >= 5:
            note = "调休上班"
        elif not working and name:
            note = _holiday_name_zh(name)
        else:
            note = ""
        rows.append((day, working, note))
    return rows


_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name_zh(name: str) -> str:
    return _NAMES_ZH.get(name, name)[:40]


def statutory_holidays(year: int) -> list[tuple[date, str]]:
    """The statutory days off of ``year`` (全国年节及纪念日放假办法, 2024 revision), before any 补假.

    One row per day of entitlement, in calendar order: two holidays may fall on the same date (中秋 on a
    国庆 day, as in 2009, 2020 and 2028), and each still counts as a day off.
    """
    spring = Lunar.fromYmd(year, 1, 1).getSolar()
    new_year_lunar = date(spring.getYear(), spring.getMonth(), spring.getDay())
    qingming = Solar.fromYmd(year, 3, 1).getLunar().getJieQiTable()["清明"]
    duanwu = Lunar.fromYmd(year, 5, 5).getSolar()
    zhongqiu = Lunar.fromYmd(year, 8, 15).getSolar()
    days = [(date(year, 1, 1), "元旦")]
    for offset in (-1, 0, 1, 2):  # 除夕 and 初一 to 初三
        days.append((new_year_lunar + timedelta(days=offset), "春节"))
    days.append((date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), "清明节"))
    days.append((date(year, 5, 1), "劳动节"))
    days.append((date(year, 5, 2), "劳动节"))
    days.append((date(duanwu.getYear(), duanwu.getMonth(), duanwu.getDay()), "端午节"))
    days.append((date(zhongqiu.getYear(), zhongqiu.getMonth(), zhongqiu.getDay()), "中秋节"))
    for d in (1, 2, 3):
        days.append((date(year, 10, d), "国庆节"))
    # 除夕 can fall in the previous Gregorian year only if 春节 is on 1 January, which never happens;
    # keep the year's own dates only.
    return sorted((d, n) for d, n in days if d.year == year)


def provisional_days(year: int) -> list[tuple[date, bool, str]]:
    """(date, is_working, note) for every date of ``year`` from the statutory rules (临时推算).

    A holiday on a weekend, or on a date another holiday already takes, is made up on the next weekday
    that is not yet off (补假).
    """
    off: dict[date, str] = {}
    made_up = []
    for day, name in statutory_holidays(year):
        if day.weekday() >= 5 or day in off:
            made_up.append((day, name))
        off.setdefault(day, name)
    for day, name in made_up:
        candidate = day + timedelta(days=1)
        while candidate.weekday() >= 5 or candidate in off:
            candidate += timedelta(days=1)
        if candidate.year == year:
            off[candidate] = f"{name}补假"
    return [(day, day.weekday() < 5 and day not in off, off.get(day, "")) for day in _days(year)]


def parse_holiday_ranges(text: str) -> list[tuple[date, date, str]]:
    """Lines ``2027-01-01 2027-01-03 元旦`` (or ``2027-01-01 元旦`` for one day) to ranges.

    Raises ValueError naming the line for anything else.
    """
    ranges = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("～", " ").replace("~", " ").replace("至", " ").strip()
        if not line:
            continue
        parts = line.split()
        try:
            first = date.fromisoformat(parts[0])
            if len(parts) > 1 and _is_date(parts[1]):
                last = date.fromisoformat(parts[1])
                name = " ".join(parts[2:])
            else:
                last = first
                name = " ".join(parts[1:])
        except (ValueError, IndexError):
            raise ValueError(f"第 {number} 行无法识别：{raw}")
        if last < first:
            raise ValueError(f"第 {number} 行结束日期早于起始日期：{raw}")
        ranges.append((first, last, name[:40]))
    return ranges


def parse_makeup_days(text: str) -> list[tuple[date, str]]:
    days = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.strip().split(maxsplit=1)
        if not parts:
            continue
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            raise ValueError(f"第 {number} 行无法识别：{raw}")
        days.append((day, (parts[1] if len(parts) > 1 else "调休上班")[:40]))
    return days


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def notice_days(year: int, holiday_ranges: str, makeup_days: str) -> list[tuple[date, bool, str]]:
    """(date, is_working, note) for ``year`` from a State Council notice: weekends off, the listed
    holiday ranges off, the listed make-up days on. Raises ValueError for a date outside ``year``."""
    off = {}
    for first, last, name in parse_holiday_ranges(holiday_ranges):
        day = first
        while day <= last:
            off[day] = name or "节假日"
            day += timedelta(days=1)
    on = dict(parse_makeup_days(makeup_days))
    # A range may run into the next year (e.g. 元旦 from 12-31); such dates belong to that year's notice.
    for day in list(on):
        if day.year != year:
            raise ValueError(f"调休上班日 {day} 不在 {year} 年")
        if day in off:
            raise ValueError(f"{day} 同时是放假日和调休上班日")
    rows = []
    for day in _days(year):
        if day in on:
            rows.append((day, True, on[day]))
        elif day in off:
            rows.append((day, False, off[day]))
        else:
            rows.append((day, day.weekday() < 5, ""))
    return rows


def with_ordinals(rows, base: int) -> list[tuple[date, bool, str, int]]:
    """Attach the cumulative working-day ordinal, continuing from ``base`` (the ordinal of the day before)."""
    out = []
    ordinal = base
    for day, working, note in rows:
        if working:
            ordinal += 1
        out.append((day, working, note, ordinal))
    return out
