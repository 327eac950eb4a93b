"""French number and date formats."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from components import format as fmt

G, U, M = "\u202f", "\u00a0", "\u2212"   # group separator, unit space, minus sign


def test_numbers():
    assert fmt.fmt_int(12345) == f"12{G}345"
    assert fmt.fmt_int(1234567.4) == f"1{G}234{G}567"
    assert fmt.fmt_int(np.int64(42)) == "42"
    assert fmt.fmt_int(-1500) == f"{M}1{G}500"
    assert fmt.fmt_number(-0.04, 1) == "0,0"                      # no "−0,0"
    assert fmt.fmt_pct(0.1234) == f"12,3{U}%"
    assert fmt.fmt_pct(1) == f"100,0{U}%"
    assert fmt.fmt_days(5.25) == f"5,2{U}j"                       # round half to even, as Python does
    assert fmt.fmt_days(5.26) == f"5,3{U}j"
    assert fmt.fmt_duration_s(245) == f"4{U}min 05{U}s"
    assert fmt.fmt_duration_s(42) == f"42{U}s"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT, np.nan])
def test_missing_values_are_a_dash(missing):
    for helper in (fmt.fmt_int, fmt.fmt_pct, fmt.fmt_days, fmt.fmt_date, fmt.fmt_duration_s):
        assert helper(missing) == "—"
    assert fmt.fmt_delta(missing, 3) == "—"


def test_deltas():
    assert fmt.fmt_delta(110, 100) == f"+10,0{U}%"
    assert fmt.fmt_delta(90, 100) == f"{M}10,0{U}%"
    assert fmt.fmt_delta(5, 0) == "—"                             # no relative change from zero
    assert fmt.fmt_delta(0.15, 0.12, "points") == f"+3,0{U}pt"
    assert fmt.fmt_delta(4.8, 5.2, "days") == f"{M}0,4{U}j"
    assert fmt.fmt_delta(120, 100, "count") == "+20"
    assert fmt.fmt_delta(100, 100) == f"0,0{U}%"
    assert fmt.delta_value(110, 100) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        fmt.fmt_delta(1, 2, "ratio")


def test_dates():
    assert fmt.fmt_date(date(2026, 3, 1)) == "1er mars 2026"
    assert fmt.fmt_date("2025-08-15") == "15 août 2025"
    assert fmt.fmt_date_short(date(2025, 1, 2)) == "02/01/2025"
    assert fmt.fmt_datetime(datetime(2026, 11, 22, 8, 5)) == f"22 novembre 2026 à 08{U}h{U}05"
    assert fmt.fmt_period(date(2025, 1, 1), date(2025, 12, 31)) == "du 1er janvier 2025 au 31 décembre 2025"


def test_column_formatters():
    frame = pd.DataFrame({
        "mois": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        "n": [1200, 3],
        "median": [5.25, 4.0],
        "whole": [2.0, 3.0],
        "part": [True, False],
        "label": ["a", None],
        "month": pd.to_datetime(["2025-01-01", "2025-02-01"]).to_period("M"),
    })
    cells = {c: fmt.column_cells(frame[c]) for c in frame.columns}
    assert cells["mois"] == ["01/01/2025", "01/02/2025"]
    assert cells["n"] == [f"1{G}200", "3"]
    assert cells["median"] == ["5,2", "4,0"]
    assert cells["whole"] == ["2", "3"]
    assert cells["part"] == ["oui", "non"]
    assert cells["label"] == ["a", "—"]
    assert cells["month"] == ["janvier 2025", "février 2025"]


def test_column_cells_match_the_value_formats_and_read_the_kind_from_every_row():
    frame = pd.DataFrame({
        "n": pd.Series([1200, None, -3], dtype="Int64"),
        "x": [-0.04, float("nan"), -1234.56],
        "whole": [2.0, float("nan"), -3.0],
        "at": pd.to_datetime(["2025-01-01 00:00", None, "2025-03-02 10:30"]),
        "day": pd.to_datetime(["2025-01-01", None, "2025-03-02"]),
        "text": pd.Series(["a;b", None, "c"], dtype="str"),
        "things": [date(2025, 3, 4), None, 5],
        "week": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]).to_period("W"),
        "flag": pd.Series([True, None, False], dtype="boolean"),
    })
    cells = {c: fmt.column_cells(frame[c]) for c in frame.columns}
    assert cells["n"] == [f"1{G}200", "—", "\u22123"]
    assert cells["x"] == ["0,0", "—", f"\u22121{G}234,6"]            # rounds to zero: no sign
    assert cells["whole"] == ["2", "—", "\u22123"]
    assert cells["at"] == ["01/01/2025 00:00", "—", "02/03/2025 10:30"]
    assert cells["day"] == ["01/01/2025", "—", "02/03/2025"]
    assert cells["text"] == ["a;b", "—", "c"] and cells["things"] == ["04/03/2025", "—", "5"]
    assert cells["week"][0] == str(frame.week[0]) and cells["flag"] == ["oui", "—", "non"]
    assert fmt.column_cells(frame.x, 1) == ["0,0"]
    assert fmt.column_cells(pd.Series([1.0, 2.5, 3.0]), 1) == ["1,0"]   # one decimal: a later row has one

