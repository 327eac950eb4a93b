"""Calendar table: weekends, French public holidays (metropolitan list) and a working-day index.

The working-day index lets SQL count working days between two dates with two joins:
``working_days(a, b) = idx(b) - idx(a)`` (days after ``a`` up to and including ``b``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_holidays(year: int) -> dict[date, str]:
    """The eleven public holidays of metropolitan France (Code du travail, art. L3133-1)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def build_calendar(start: date, end: date) -> pd.DataFrame:
    """One row per day from ``start`` to ``end`` inclusive, shaped like the ``calendar`` table."""
    days = pd.date_range(start, end, freq="D")
    holidays: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        holidays.update(french_holidays(year))
    names = pd.Series([holidays.get(d.date()) for d in days], dtype="object")
    is_weekend = days.day_of_week >= 5
    is_holiday = names.notna().to_numpy()
    is_working = ~is_weekend & ~is_holiday
    return pd.DataFrame(
        {
            "day": days.date,
            "is_weekend": is_weekend,
            "is_holiday": is_holiday,
            "holiday_name": names,
            "is_working_day": is_working,
            "working_day_index": is_working.cumsum().astype("int32"),
        }
    )
