"""French number and date formats for everything the app displays.

Conventions (French typography, as the DSFR writes numbers):

* thousands grouped by a narrow no-break space (U+202F): ``12 345``;
* decimal comma: ``5,2``;
* a no-break space (U+00A0) before ``%`` and units: ``12,3 %``, ``5,2 j``;
* signed differences use ``+`` and the minus sign U+2212: ``−0,4 j``.

Missing values (None, NaN, NA) are shown as an em dash ``—`` by every helper.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

GROUP = "\u202f"     # narrow no-break space between thousands
UNIT = "\u00a0"      # no-break space before % and units
MINUS = "\u2212"     # typographic minus sign
MISSING = "—"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
DELTA_MODES = ("relative", "points", "days", "count")


def is_missing(value) -> bool:
    """True for None, NaN and pandas NA/NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals in French: ``12 345,6``; ``—`` when missing."""
    return MISSING if is_missing(value) else _number_text(float(value), digits)


def _number_text(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}".replace(",", GROUP).replace(".", ",")   # '12,345.6' → '12 345,6'
    return (MINUS if value < 0 and text.strip("0,\u202f") != "" else "") + text


def fmt_int(value) -> str:
    """A count: ``12 345``."""
    return fmt_number(value, 0)


def fmt_pct(ratio, digits: int = 1) -> str:
    """A ratio in 0..1 as a percentage: ``0.123 → 12,3 %``."""
    if is_missing(ratio):
        return MISSING
    return f"{fmt_number(float(ratio) * 100, digits)}{UNIT}%"


def fmt_days(days, digits: int = 1) -> str:
    """A duration in days: ``5,2 j``."""
    if is_missing(days):
        return MISSING
    return f"{fmt_number(days, digits)}{UNIT}j"


def fmt_duration_s(seconds) -> str:
    """A duration in seconds as minutes and seconds: ``4 min 05 s`` (``42 s`` under a minute)."""
    if is_missing(seconds):
        return MISSING
    total = int(round(float(seconds)))
    minutes, secs = divmod(total, 60)
    return f"{minutes}{UNIT}min {secs:02d}{UNIT}s" if minutes else f"{secs}{UNIT}s"


def _signed(value: float, digits: int) -> str:
    text = fmt_number(abs(value), digits)
    if text.strip("0,\u202f") == "":
        return text                      # rounds to zero: no sign
    return ("+" if value > 0 else MINUS) + text


def delta_value(current, previous, mode: str = "relative") -> float | None:
    """The raw difference shown by ``fmt_delta`` (ratio for ``relative``), or None when undefined."""
    if mode not in DELTA_MODES:
        raise ValueError(f"mode inconnu : {mode}")
    if is_missing(current) or is_missing(previous):
        return None
    current, previous = float(current), float(previous)
    if mode == "relative":
        return None if previous == 0 else current / previous - 1
    return current - previous


def fmt_delta(current, previous, mode: str = "relative") -> str:
    """Signed change from ``previous`` to ``current``.

    ``relative``: percentage change of a count (``+12,3 %``; ``—`` when the previous value is 0);
    ``points``: difference of two ratios in percentage points (``−1,2 pt``);
    ``days``: difference of two durations in days (``+0,4 j``); ``count``: difference of two counts (``+120``).
    """
    diff = delta_value(current, previous, mode)
    if diff is None:
        return MISSING
    if mode == "relative":
        return f"{_signed(diff * 100, 1)}{UNIT}%"
    if mode == "points":
        return f"{_signed(diff * 100, 1)}{UNIT}pt"
    if mode == "days":
        return f"{_signed(diff, 1)}{UNIT}j"
    return _signed(diff, 0)


def fmt_date(value) -> str:
    """A day in long French form: ``1er mars 2026``, ``22 novembre 2026``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def fmt_date_short(value) -> str:
    """A day as ``22/11/2026``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%d/%m/%Y}"


def fmt_datetime(value) -> str:
    """A moment in long French form: ``22 novembre 2026 à 08 h 05``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{fmt_date(value)} à {value:%H}{UNIT}h{UNIT}{value:%M}"


def fmt_month(value) -> str:
    """A month: ``janvier 2025`` (from a date, a timestamp or a monthly ``pd.Period``)."""
    if is_missing(value):
        return MISSING
    return f"{MONTHS[value.month - 1]} {value.year}"


def fmt_period(start, end) -> str:
    """A period: ``du 1er janvier 2025 au 31 décembre 2025``."""
    return f"du {fmt_date(start)} au {fmt_date(end)}"


def absent(value) -> bool:
    """``is_missing`` for the plain values of a column (None, NaN, NA, NaT), without pandas' per-value checks."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _numbers(values: list, digits: int) -> list[str]:
    """``fmt_number`` of each value (floats or ints; None and NaN missing)."""
    return [MISSING if absent(value) else _number_text(value, digits) for value in values]


def _datetimes(values: np.ndarray, midnight: bool) -> list[str]:
    """Naive datetime64 values as ``JJ/MM/AAAA`` (``midnight``) or ``JJ/MM/AAAA HH:MM``."""
    texts = np.datetime_as_string(values, unit="D" if midnight else "m").tolist()
    return [MISSING if t == "NaT" else f"{t[8:10]}/{t[5:7]}/{t[:4]}{t[10:].replace('T', ' ')}" for t in texts]


def _whole(values: np.ndarray) -> bool:
    known = values[~np.isnan(values)]
    return bool((known % 1 == 0).all())


def all_midnight(values: np.ndarray) -> bool:
    """Whether every known value of naive datetime64 ``values`` is at midnight (a column of dates)."""
    known = values[~np.isnat(values)]
    return bool((known == known.astype("datetime64[D]")).all())


def column_cells(series: pd.Series, limit: int | None = None) -> list[str]:
    """The table cells of a column (its first ``limit`` values): counts grouped, decimals with one digit (whole
    numbers without), dates ``JJ/MM/AAAA`` (with ``HH:MM`` when a value is not at midnight), monthly periods
    (``pd.Period``, e.g. ``series.dt.to_period("M")``) ``janvier 2025``, yes/no ``oui``/``non``; missing ``—``.

    The column's kind is read from all its values, the cells are made for the first ``limit`` only, a column
    at a time (a table of hundreds of rows holds thousands of cells)."""
    shown = series if limit is None or len(series) <= limit else series.iloc[:limit]
    dtype = series.dtype
    if isinstance(dtype, pd.PeriodDtype):
        if not dtype.freq.rule_code.startswith("M"):
            return [MISSING if absent(v) else str(v) for v in shown.tolist()]
        return [fmt_month(v) for v in shown.tolist()]
    if pd.api.types.is_bool_dtype(dtype):
        return [MISSING if absent(v) else ("oui" if v else "non") for v in shown.tolist()]
    if pd.api.types.is_numeric_dtype(dtype):
        values = (series.to_numpy().astype(float, copy=False) if isinstance(dtype, np.dtype)   # NaN already
                  else series.to_numpy(dtype=float, na_value=np.nan))                           # nullable: NA
        digits = 0 if pd.api.types.is_integer_dtype(dtype) or _whole(values) else 1
        return _numbers(values[:len(shown)].tolist(), digits)
    if pd.api.types.is_datetime64_dtype(dtype):
        values = series.to_numpy()
        return _datetimes(values[:len(shown)], all_midnight(values))
    if pd.api.types.is_datetime64_any_dtype(dtype):     # with a time zone
        values = series.dropna()
        midnight = values.empty or bool((values == values.dt.normalize()).all())
        return [MISSING if absent(v) else fmt_date_short(v) if midnight else f"{v:%d/%m/%Y %H:%M}"
                for v in shown.tolist()]
    return [MISSING if absent(v) else fmt_date_short(v) if isinstance(v, date) else str(v) for v in shown.tolist()]
