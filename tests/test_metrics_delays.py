"""metrics.delays and the statistics of metrics.stats, on tiny warehouses whose answers were worked out by hand.

Calendar facts used: 2025-05-01 (Thu, Fête du Travail), 2025-05-08 (Thu, Victoire 1945), 2025-05-29 (Thu,
Ascension), 2025-06-09 (Mon, Pentecôte) are holidays; 2025-04-21 is Easter Monday.
"""

from datetime import date

import duckdb
import pandas as pd
import pytest

from metrics import db, delays
from metrics.filters import Filters
from metrics.stats import duration_stats_sql
from tests.factories import dossier, make_warehouse

MAY = Filters(date(2025, 5, 1), date(2025, 5, 31))
JUNE = Filters(date(2025, 6, 1), date(2025, 6, 30))


def decided(number, depose, traite, state="accepte", instruction=None, **values):
    return dossier(number, state=state, depose_at=depose, en_instruction_at=instruction, traite_at=traite, **values)


MAY_DOSSIERS = [
    # Fri 23 → Mon 26 (instruction) → Fri 30: 7 calendar days; working 26, 27, 28, (29 Ascension), 30 → 4.
    decided(1, "2025-05-23 10:00", "2025-05-30 15:00", instruction="2025-05-26 09:00"),
    # Same day: 0 day.
    decided(2, "2025-05-05 09:00", "2025-05-05 17:00", "refuse", instruction="2025-05-05 10:00"),
    # Deposited in April, decided in May: 14 calendar days; working Apr 29, 30, May 2, 5, 6, 7, 9, 12 → 8.
    decided(3, "2025-04-28 09:00", "2025-05-12 11:00", "sans_suite"),
    dossier(4, state="en_instruction", depose_at="2025-05-06 09:00", en_instruction_at="2025-05-07 09:00"),
    # Deposited in May, decided 1 July: 42 calendar days; working 21–23, 26–28, 30 May, 20 in June, 1 July → 28.
    decided(5, "2025-05-20 09:00", "2025-07-01 09:00"),
    decided(6, "2025-05-15 09:00", "2025-05-14 09:00"),          # decision before deposit: inconsistent
    decided(7, "2025-05-13 10:00", "2025-05-13 17:00", instruction="2025-05-13 11:00"),
]

# Five Paris dossiers deposited Mon 2 June 2025 and one in the Rhône; (total, construction, instruction) in
# working days: (1, 1, 0), (2, 1, 1), (3, 2, 1), (4, 2, 2), (10, 3, 7) — Whit Monday 9 June excluded.
JUNE_DOSSIERS = [
    decided(11, "2025-06-02 09:00", "2025-06-03 16:00", instruction="2025-06-03 10:00"),
    decided(12, "2025-06-02 09:00", "2025-06-04 16:00", instruction="2025-06-03 10:00", contract_category="cdd"),
    decided(13, "2025-06-02 09:00", "2025-06-05 16:00", instruction="2025-06-04 10:00"),
    decided(14, "2025-06-02 09:00", "2025-06-06 16:00", instruction="2025-06-04 10:00"),
    decided(15, "2025-06-02 09:00", "2025-06-17 16:00", instruction="2025-06-05 10:00"),
    decided(16, "2025-06-02 09:00", "2025-06-04 16:00", demarche=3),
]


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=MAY_DOSSIERS + JUNE_DOSSIERS))
    yield
    db.use_database(None)


def row(frame):
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def test_statistics_of_a_small_list():
    values = "SELECT * FROM (VALUES (1), (2), (3), (4), (100), (NULL)) t(v)"
    got = duckdb.sql(f"WITH s AS ({values}) {duration_stats_sql('s', 'v')}").fetchall()[0]
    # median 3; p90 = 4 + 0.6 × 96; winsorised: 1 → p5 = 1.2 and 100 → p95 = 80.8, mean (1.2+2+3+4+80.8)/5.
    assert got == pytest.approx((5, 3.0, 61.6, 18.2))
    empty = duckdb.sql(f"WITH s AS ({values} WHERE false) {duration_stats_sql('s', 'v')}").fetchall()[0]
    assert empty == (0, None, None, None)
    grouped = f"SELECT 'a' AS g, v FROM ({values}) UNION ALL SELECT 'b', NULL"   # b: one row, no value
    got = duckdb.sql(f"WITH s AS ({grouped}) {duration_stats_sql('s', 'v', ('g',), min_n=5)} ORDER BY g").fetchall()
    assert got[0] == pytest.approx(("a", 5, 3.0, 61.6, 18.2)) and got[1] == ("b", 0, None, None, None)


def test_working_days_cross_weekends_and_holidays(warehouse):
    # Decided in May: dossiers 1, 2, 3, 7 → working [0, 0, 4, 8], calendar [0, 0, 7, 14].
    working = row(delays.processing_summary(MAY, "working", "decision"))
    assert working["n"] == 4
    assert working["median"] == pytest.approx(2.0)          # tie of two middle values: (0 + 4) / 2
    assert working["p90"] == pytest.approx(6.8)             # 4 + 0.7 × 4
    assert working["mean_winsorized"] == pytest.approx((0 + 0 + 4 + 7.4) / 4)
    calendar = row(delays.processing_summary(MAY, "calendar", "decision"))
    assert (calendar["median"], calendar["p90"]) == pytest.approx((3.5, 11.9))
    assert calendar["mean_winsorized"] == pytest.approx((0 + 0 + 7 + 12.95) / 4)


def test_deposit_cohort_takes_dossiers_deposited_in_the_period(warehouse):
    # Deposited in May and decided: 1, 2, 5, 7 → working [0, 0, 4, 28]; 3 (April), the open 4 and the
    # inconsistent 6 are out.
    got = row(delays.processing_summary(MAY, "working", "depot"))
    assert (got["n"], got["median"], got["p90"]) == pytest.approx((4, 2.0, 20.8))


def test_single_dossier_and_empty_period(warehouse):
    single = row(delays.processing_summary(Filters(date(2025, 5, 30), date(2025, 5, 30))))
    assert single == pytest.approx({"n": 1, "median": 4.0, "p90": 4.0, "mean_winsorized": 4.0})
    empty = row(delays.processing_summary(Filters(date(2020, 1, 1), date(2020, 12, 31))))
    assert empty["n"] == 0 and all(empty[k] != empty[k] for k in ("median", "p90", "mean_winsorized"))  # NaN


def test_breakdown_suppresses_groups_under_five(warehouse):
    by_dep = delays.processing_by(JUNE, "departement")
    assert list(by_dep.key) == ["75", "69"] and list(by_dep.n) == [5, 1]
    paris, rhone = by_dep.iloc[0], by_dep.iloc[1]
    assert paris.label == "75 – Paris"
    # [1, 2, 3, 4, 10]: median 3, p90 4 + 0.6 × 6, winsorised (1.2 + 2 + 3 + 4 + 8.8) / 5.
    assert (paris["median"], paris.p90, paris.mean_winsorized) == pytest.approx((3.0, 7.6, 3.8))
    assert rhone[["median", "p90", "mean_winsorized"]].isna().all()
    by_month = delays.processing_by(JUNE, "month", cohort="depot")
    assert list(by_month.n) == [6]
    by_contract = delays.processing_by(JUNE, "contract")
    assert list(by_contract.label) == ["Contrat d'apprentissage", "CDD"] and list(by_contract.n) == [5, 1]


def test_cohort_figures_are_the_single_metrics_from_one_query(warehouse):
    together = ("month", "departement", "contract")
    figures = delays.cohort_figures(JUNE, breakdowns=together, cap=5)
    by_dep = figures["departement"]
    assert list(by_dep.key) == ["75", "69"] and list(by_dep.label) == ["75 – Paris", "69 – Rhône"]
    assert by_dep.iloc[0][["n", "median", "p90", "mean_winsorized"]].tolist() == pytest.approx([5, 3.0, 7.6, 3.8])
    assert by_dep.n[1] == 1 and by_dep.iloc[1][["median", "p90", "mean_winsorized"]].isna().all()   # under 5
    # The summary is never suppressed: [1, 2, 2, 3, 4, 10] → median 2.5, p90 7, winsorised (1.25 + … + 8.5) / 6.
    assert row(figures["summary"]) == pytest.approx({"n": 6, "median": 2.5, "p90": 7.0, "mean_winsorized": 3.458333333})
    assert list(figures["histogram"].dossiers) == [0, 1, 2, 1, 1, 1]
    assert figures["stages"].n.tolist() == [5]
    # Decided in May: 1 → 4, 2 → 0, 3 → 8, 7 → 0 working days, all deposited in May except 3 (April).
    by_month = delays.cohort_figures(MAY, cohort="depot", breakdowns=together)["month"]
    assert list(by_month.key) == [pd.Timestamp(2025, 5, 1)] and list(by_month.n) == [4]
    empty = Filters(date(2020, 1, 1), date(2020, 12, 31))
    for f in (MAY, JUNE, empty, Filters(date(2025, 5, 30), date(2025, 5, 30))):
        for unit, cohort in (("working", "decision"), ("calendar", "depot")):
            figures = delays.cohort_figures(f, unit, cohort, (*together, "audience"), cap=3, previous=True)
            pd.testing.assert_frame_equal(figures["previous"], delays.processing_summary(f.previous(), unit, cohort))
            for by in (*together, "audience"):
                alone = delays.processing_by(f, by, unit, cohort)
                pd.testing.assert_frame_equal(figures[by], alone)
                assert len(alone) or f is empty or cohort == "depot"   # nothing deposited on 30 May
            pd.testing.assert_frame_equal(figures["summary"], delays.processing_summary(f, unit, cohort))
            pd.testing.assert_frame_equal(figures["histogram"], delays.duration_histogram(f, unit, cohort, cap=3))
            pd.testing.assert_frame_equal(figures["stages"], delays.stage_split(f, unit, cohort))
    assert row(delays.cohort_figures(empty)["summary"])["n"] == 0
    assert "previous" not in delays.cohort_figures(JUNE)
    # June's previous period (2–31 May): decided 1 → 4, 2 → 0, 3 → 8, 7 → 0 working days.
    assert row(delays.cohort_figures(JUNE, previous=True)["previous"])["n"] == 4
    assert row(delays.cohort_figures(JUNE, previous=True)["previous"])["median"] == pytest.approx(2.0)


def test_processing_figures_are_summary_and_breakdown_from_one_query(warehouse):
    summary, by_dep = delays.processing_figures(JUNE, "departement")
    # [1, 2, 2, 3, 4, 10] → median 2.5, p90 7 (as in test_cohort_figures_…); Paris only has 5 dossiers or more.
    assert row(summary) == pytest.approx({"n": 6, "median": 2.5, "p90": 7.0, "mean_winsorized": 3.458333333})
    assert list(by_dep.key) == ["75", "69"] and by_dep.p90.iloc[0] == pytest.approx(7.6) and by_dep.p90.isna()[1]
    empty = Filters(date(2020, 1, 1), date(2020, 12, 31))
    for f in (MAY, JUNE, empty, Filters(date(2025, 5, 30), date(2025, 5, 30))):
        for unit, cohort in (("working", "decision"), ("calendar", "depot")):
            for by in ("month", "departement", "contract", "audience"):
                summary, rows = delays.processing_figures(f, by, unit, cohort)
                pd.testing.assert_frame_equal(summary, delays.processing_summary(f, unit, cohort), check_exact=True)
                pd.testing.assert_frame_equal(rows, delays.processing_by(f, by, unit, cohort), check_exact=True)
    with pytest.raises(ValueError):
        delays.processing_figures(MAY, "month", unit="hours")


def test_stage_split_means_add_up_to_the_total(warehouse):
    june = delays.stage_split(JUNE, "working")
    assert len(june) == 1 and june.n[0] == 5                 # the Rhône dossier has no instruction date
    assert (june.construction_mean[0], june.instruction_mean[0]) == pytest.approx((1.8, 2.2))
    assert (june.construction_median[0], june.instruction_median[0]) == pytest.approx((2.0, 1.0))
    calendar = delays.stage_split(JUNE, "calendar")
    # calendar (construction, instruction): (1, 0), (1, 1), (2, 1), (2, 2), (3, 12)
    assert (calendar.construction_mean[0], calendar.instruction_mean[0]) == pytest.approx((1.8, 3.2))
    may = delays.stage_split(MAY, "working")                  # 1, 2, 7 staged: fewer than 5
    assert may.n[0] == 3 and may[["construction_mean", "instruction_median"]].isna().all(axis=None)


def test_histogram_bins_days_with_an_overflow_bin(warehouse):
    hist = delays.duration_histogram(MAY, "working", cap=5)
    assert list(hist.days) == [0, 1, 2, 3, 4, 5]
    assert list(hist.dossiers) == [2, 0, 0, 0, 1, 1]           # 8 working days falls in "5 or more"
    assert list(hist.overflow) == [False] * 5 + [True]
    assert hist.share.tolist() == pytest.approx([0.5, 0, 0, 0, 0.25, 0.25])
    empty = delays.duration_histogram(Filters(date(2020, 1, 1), date(2020, 1, 31)), cap=3)
    assert list(empty.dossiers) == [0, 0, 0, 0] and empty.share.isna().all()


@pytest.fixture
def backlog(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[
        dossier(1, depose_at="2025-05-02 10:00"),                                              # 18 working days
        dossier(2, state="en_instruction", depose_at="2025-05-27 10:00", en_instruction_at="2025-05-28 10:00"),
        decided(3, "2025-03-03 10:00", "2025-06-10 10:00", instruction="2025-03-04 10:00"),    # 60, decided later
        dossier(4, depose_at="2025-05-30 18:00"),                                              # deposited on the end
        decided(5, "2025-05-02 10:00", "2025-05-30 10:00"),                                    # decided on the end day
        dossier(6, depose_at="2025-06-02 10:00"),                                              # after the end
        dossier(7, state="accepte", depose_at="2025-05-02 10:00"),                             # decided, date missing
        dossier(8, state="en_instruction", depose_at="2025-05-26 10:00", en_instruction_at="2025-06-02 10:00"),
    ]))
    yield
    db.use_database(None)


def test_backlog_at_the_end_of_the_period(backlog):
    f = Filters(date(2025, 5, 1), date(2025, 5, 30))
    got = row(delays.backlog_summary(f))
    assert got == {"open": 5, "en_construction": 3, "en_instruction": 2, "over_5": 2, "over_10": 2, "over_30": 1,
                   "median_age": 3.0}                        # ages [0, 2, 3, 18, 60]
    by_age = delays.backlog_by_age(f)
    assert list(by_age.bracket) == [b for b in delays.BACKLOG_BRACKETS for _ in range(2)]
    assert list(by_age.dossiers) == [2, 1, 0, 0, 1, 0, 0, 1]
    none = row(delays.backlog_summary(Filters(f.start, f.end, departements=("69",))))
    assert none["open"] == 0 and none["median_age"] != none["median_age"]
    # On 30 April (the previous period's end) only dossier 3 was open: in instruction, 41 working days old.
    now, before, ages = delays.backlog_figures(f)
    assert row(before) == {"open": 1, "en_construction": 0, "en_instruction": 1, "over_5": 1, "over_10": 1,
                           "over_30": 1, "median_age": 41.0}
    pd.testing.assert_frame_equal(ages, by_age)
    for g in (f, Filters(f.start, f.end, departements=("69",)), Filters(f.start, date(2025, 5, 2)),
              Filters(date(2025, 5, 29), date(2025, 6, 5))):
        now, before, _ = delays.backlog_figures(g)
        pd.testing.assert_frame_equal(now, delays.backlog_summary(g))
        pd.testing.assert_frame_equal(before, delays.backlog_summary(g.previous()))
    assert list(delays.backlog_by_age(Filters(f.start, f.end, departements=("69",))).dossiers) == [0] * 8


def test_unknown_options_are_refused(warehouse):
    with pytest.raises(ValueError):
        delays.processing_summary(MAY, unit="hours")
    with pytest.raises(ValueError):
        delays.processing_by(MAY, "weather")
