"""The generated period and its clocks: local (Europe/Paris) ↔ Unix seconds, calendars, pretty strings.

Times are drawn in local time (office hours, days), converted once to Unix seconds (the truth Matomo and
DS store), and formatted back from Unix seconds, vectorised, so daylight-saving changes are exact.
Matomo formats dates in English here, like the reference server (``Nov 19, 2026 18:33:00``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from etl.calendar import french_holidays
from etl.demo import model as m

TZ = "Europe/Paris"
DAY = 86_400
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_OF_DAY = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY))


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (clipped to the end of shorter months)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


@dataclass(frozen=True)
class Period:
    """The ``MONTHS`` months ending at ``end`` (inclusive): day ``i`` is ``start + i``."""

    end: date
    start: date = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "start", add_months(self.end + timedelta(days=1), -m.MONTHS))

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @cached_property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    def day(self, index: int) -> date:
        return self.start + timedelta(days=int(index))

    def month_day(self, months: int, offset_days: int = 0) -> int:
        """Day index of ``start`` + ``months`` months + ``offset_days`` (may fall outside the period)."""
        return (add_months(self.start, months) - self.start).days + offset_days

    def block(self, month: int, weekday: int, length: int) -> range:
        """Day indices of ``length`` days from the first ``weekday`` on or after month ``month``."""
        first = self.month_day(month)
        first += (weekday - self.day(first).weekday()) % 7
        return range(max(first, 0), min(first + length, self.n_days))

    @cached_property
    def epoch_day0(self) -> int:
        """Days from 1970-01-01 to ``start``."""
        return (self.start - date(1970, 1, 1)).days

    @cached_property
    def holidays(self) -> np.ndarray:
        """French public holidays around the period, as datetime64[D] (for numpy's busday functions)."""
        days = [d for y in range(self.start.year - 1, self.end.year + 3) for d in french_holidays(y)]
        return np.array(sorted(days), dtype="datetime64[D]")

    @cached_property
    def is_holiday(self) -> np.ndarray:
        return np.isin(self.days.to_numpy().astype("datetime64[D]"), self.holidays)

    # ------------------------------------------------------------------------ clocks
    def local_to_epoch(self, day_index: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Unix seconds of local wall-clock times (``day_index`` of the period, ``seconds`` into the day).

        A time that does not exist (spring forward) moves forward; an ambiguous one is read as winter time.
        """
        naive = (self.epoch_day0 + np.asarray(day_index, dtype=np.int64)) * DAY + np.asarray(seconds, np.int64)
        stamps = pd.DatetimeIndex(naive.astype("datetime64[s]"))
        local = stamps.tz_localize(TZ, ambiguous=np.zeros(len(stamps), dtype=bool), nonexistent="shift_forward")
        return local.as_unit("s").asi8

    @staticmethod
    def epoch_to_local(epoch: np.ndarray) -> np.ndarray:
        """Local wall-clock time of Unix seconds, as 'naive' seconds since 1970 (day = // 86400)."""
        stamps = pd.DatetimeIndex(np.asarray(epoch, dtype=np.int64).astype("datetime64[s]"), tz="UTC")
        return stamps.tz_convert(TZ).tz_localize(None).as_unit("s").asi8

    @staticmethod
    def utc_offsets(epoch: np.ndarray) -> np.ndarray:
        """Seconds east of UTC in Paris at each instant (3600 or 7200)."""
        return Period.epoch_to_local(epoch) - np.asarray(epoch, dtype=np.int64)


# ---------------------------------------------------------------------------- pretty strings
def iso_day(days_since_epoch: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(days_since_epoch))).isoformat()


def matomo_short_date(days_since_epoch: int) -> str:
    """'Nov 19, 2026 ' (Matomo's DATETIME_FORMAT_SHORT date part, English)."""
    d = date(1970, 1, 1) + timedelta(days=int(days_since_epoch))
    return f"{_MONTHS[d.month - 1][:3]} {d.day}, {d.year} "


def matomo_long_date(days_since_epoch: int) -> str:
    """'Thursday, November 19, 2026' (Matomo's DATE_FORMAT_LONG, English)."""
    d = date(1970, 1, 1) + timedelta(days=int(days_since_epoch))
    return f"{_WEEKDAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}, {d.year}"


def pretty_seconds(seconds: int) -> str:
    """Matomo's getPrettyTimeFromSeconds(s, asSentence=true), English: '21s', '1 min 9s', '1 hours 2 min'."""
    seconds = int(seconds)
    if seconds >= 86_400:
        return f"{seconds // 86_400} days {seconds % 86_400 // 3600} hours"
    if seconds >= 3600:
        return f"{seconds // 3600} hours {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60}s"
    return f"{seconds}s"


def iso_offset(epoch: np.ndarray) -> list[str]:
    """ISO 8601 with the Paris offset, as DS sends its timestamps: '2019-09-13T10:12:45+02:00'."""
    epoch = np.asarray(epoch, dtype=np.int64)
    local = Period.epoch_to_local(epoch)
    offsets = (local - epoch) // 3600
    text = np.datetime_as_string(local.astype("datetime64[s]"), unit="s")
    return [f"{t}+{o:02d}:00" for t, o in zip(text.tolist(), offsets.tolist(), strict=True)]
