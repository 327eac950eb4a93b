"""metrics.dossiers on a tiny warehouse whose answers were worked out by hand.

Period: March 2025 (31 days); the previous period runs from 29 January to 28 February 2025.
"""

from datetime import date

import pandas as pd
import pytest

from metrics import db, dossiers
from metrics.filters import Filters
from tests.factories import dossier, make_warehouse

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[
        dossier(1, state="accepte", depose_at="2025-03-03 09:00", traite_at="2025-03-10 09:00"),
        dossier(2, demarche=2, depose_at="2025-03-03 15:00"),                                 # employer, open
        dossier(3, demarche=3, state="refuse", depose_at="2025-03-31 23:30", traite_at="2025-04-02 09:00"),
        dossier(4, depose_at="2025-04-01 00:00"),                                             # after the period
        dossier(5, state="accepte", depose_at="2025-02-10 09:00", traite_at="2025-03-05 09:00"),
        dossier(6, demarche=3, state="sans_suite", depose_at="2025-02-20 09:00", traite_at="2025-02-25 09:00"),
        dossier(7, demarche=3, state="en_instruction", depose_at="2024-06-01 09:00"),          # Rhône's first
        dossier(8, state="accepte", depose_at="2024-01-15 09:00", traite_at="2024-01-20 09:00"),  # Paris's first
        dossier(9, departement="45", depose_at="2025-02-01 09:00"),                           # previous period only
    ]))
    yield
    db.use_database(None)


def test_deposits_and_headline_volumes(warehouse):
    assert dossiers.deposits_summary(MARCH).to_dict("records") == [{"deposes": 3}]
    # decided in March: 1 (deposited in March) and 5 (deposited in February); 3 is decided in April.
    assert dossiers.volume_summary(MARCH).to_dict("records") == [{"deposes": 3, "decides": 2, "departements": 2}]
    assert dossiers.deposits_summary(Filters(MARCH.start, MARCH.end, audience="employeur")).deposes[0] == 1
    empty = Filters(date(2020, 1, 1), date(2020, 1, 31))
    assert dossiers.volume_summary(empty).to_dict("records") == [{"deposes": 0, "decides": 0, "departements": 0}]
    # Previous period: deposits 5, 6 and 9 (Paris, Rhône, Loiret), dossier 6 decided.
    before = dossiers.volume_summary(MARCH.previous())
    assert before.to_dict("records") == [{"deposes": 3, "decides": 1, "departements": 3}]


def test_headlines_give_both_periods_in_one_query(warehouse):
    rows = dossiers.headlines(MARCH).to_dict("records")
    # March: deposits 1, 2, 3; decided 1 (3 → 10 March: 5 working days) and 5 (10 February → 5 March: 17).
    # Previous period (29 January – 28 February): deposits 5, 6, 9; decided 6 (sans suite, Thursday 20 → Tuesday 25).
    assert [{k: r[k] for k in ("current", "deposes", "delay_n", "delay_median", "decided", "refuses", "visits",
                               "purged_days")} for r in rows] == [
        {"current": True, "deposes": 3, "delay_n": 2, "delay_median": 11.0, "decided": 2, "refuses": 0, "visits": 0,
         "purged_days": 0},
        {"current": False, "deposes": 3, "delay_n": 1, "delay_median": 3.0, "decided": 1, "refuses": 0, "visits": 0,
         "purged_days": 0}]
    assert dossiers.headlines(MARCH, "calendar").delay_median.tolist() == [15.0, 5.0]   # 7 and 23 days; 5 days
    assert all(pd.isna(r["refusal_rate"]) for r in rows)                                  # under 5 decisions
    empty = dossiers.headlines(Filters(date(2020, 1, 1), date(2020, 1, 31))).to_dict("records")
    assert [(r["deposes"], r["delay_n"], r["decided"], r["visits"]) for r in empty] == [(0, 0, 0, 0)] * 2
    assert all(pd.isna(r["delay_median"]) for r in empty)


def test_status_mix_counts_current_states(warehouse):
    mix = dossiers.status_mix(MARCH)
    assert list(mix.state) == list(dossiers.STATES)
    assert list(mix.dossiers) == [1, 0, 1, 1, 0]
    assert mix.share.tolist() == pytest.approx([1 / 3, 0, 1 / 3, 1 / 3, 0])
    empty = dossiers.status_mix(Filters(date(2020, 1, 1), date(2020, 1, 31)))
    assert list(empty.dossiers) == [0] * 5 and empty.share.isna().all()


def test_deposits_over_time_fill_and_flag_partial_buckets(warehouse):
    month = dossiers.deposits_over_time(MARCH, "month")
    assert month.to_dict("records") == [{
        "periode": month.periode[0], "complete": True, "en_construction": 1, "en_instruction": 0, "accepte": 1,
        "refuse": 1, "sans_suite": 0, "total": 3}]
    assert month.periode[0].date() == date(2025, 3, 1)
    week = dossiers.deposits_over_time(MARCH, "week")                     # ISO weeks from Monday 24 February
    assert [p.date() for p in week.periode] == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10),
                                                date(2025, 3, 17), date(2025, 3, 24), date(2025, 3, 31)]
    assert list(week.complete) == [False, True, True, True, True, False]
    assert list(week.total) == [0, 2, 0, 0, 0, 1]
    day = dossiers.deposits_over_time(MARCH, "day")
    assert len(day) == 31 and day.complete.all() and day.total.sum() == 3
    with pytest.raises(ValueError):
        dossiers.deposits_over_time(MARCH, "year")


def test_departments_compare_with_the_previous_period(warehouse):
    by_dep = dossiers.deposits_by_departement(MARCH)
    assert list(by_dep.departement) == ["75", "69", "45"]
    assert list(by_dep.name) == ["Paris", "Rhône", "Loiret"]
    assert list(by_dep.dossiers) == [2, 1, 0] and list(by_dep.previous) == [1, 1, 1]
    assert by_dep.evolution.tolist() == pytest.approx([1.0, 0.0, -1.0])
    assert by_dep.share.tolist() == pytest.approx([2 / 3, 1 / 3, 0])


def test_rollout_ignores_the_period(warehouse):
    got = dossiers.rollout(MARCH)
    assert list(got.departement) == ["75", "69", "45"]
    assert [d.date() for d in got.first_deposit] == [date(2024, 1, 15), date(2024, 6, 1), date(2025, 2, 1)]
    assert list(got.dossiers) == [5, 3, 1] and list(got.in_period) == [2, 1, 0]
    employers = dossiers.rollout(Filters(MARCH.start, MARCH.end, audience="employeur"))
    assert employers[["departement", "dossiers"]].to_dict("records") == [{"departement": "75", "dossiers": 1}]
    assert employers.first_deposit[0].date() == date(2025, 3, 3)


def test_volume_figures_answer_the_page_in_one_query(warehouse):
    got = dossiers.volume_figures(MARCH, "week")
    assert got["now"].to_dict("records") == [{"deposes": 3, "decides": 2, "departements": 2}]
    assert got["before"].to_dict("records") == [{"deposes": 3, "decides": 1, "departements": 3}]
    assert list(got["states"].dossiers) == [1, 0, 1, 1, 0]
    assert list(got["departements"].departement) == ["75", "69", "45"] and list(got["departements"].previous) == [1] * 3
    assert list(got["rollout"].dossiers) == [5, 3, 1] and list(got["rollout"].in_period) == [2, 1, 0]
    assert list(got["time"].total) == [0, 2, 0, 0, 0, 1]
    empty = Filters(date(2020, 1, 1), date(2020, 1, 31))
    for f in (MARCH, Filters(MARCH.start, MARCH.end, audience="employeur"), Filters(MARCH.start, MARCH.end,
              departements=("45",)), Filters(MARCH.start, MARCH.end, departements=("13",)), empty):
        for grain in ("month", "week", "day"):
            got = dossiers.volume_figures(f, grain)
            expected = {"now": dossiers.volume_summary(f), "before": dossiers.volume_summary(f.previous()),
                        "states": dossiers.status_mix(f),
                        "departements": dossiers.deposits_by_departement(f), "rollout": dossiers.rollout(f),
                        "time": dossiers.deposits_over_time(f, grain)}
            assert got.keys() == expected.keys()
            for name, frame in expected.items():
                pd.testing.assert_frame_equal(got[name], frame, check_exact=True)


def test_volume_figures_keep_dossiers_without_department(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[
        dossier(1, depose_at="2025-03-03 09:00"), dossier(2, departement=None, depose_at="2025-03-04 09:00"),
        dossier(3, departement=None, state="refuse", depose_at="2025-02-04 09:00", traite_at="2025-03-04 09:00")]))
    try:
        got = dossiers.volume_figures(MARCH)
        assert got["now"].to_dict("records") == [{"deposes": 2, "decides": 1, "departements": 1}]
        assert got["departements"].name.tolist() == ["Paris", "Non renseigné"]
        assert got["departements"].departement.isna().tolist() == [False, True]
        assert got["rollout"].departement.tolist() == ["75"]
        pd.testing.assert_frame_equal(got["departements"], dossiers.deposits_by_departement(MARCH))
        pd.testing.assert_frame_equal(got["rollout"], dossiers.rollout(MARCH))
    finally:
        db.use_database(None)
