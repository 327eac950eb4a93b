"""metrics.decisions and the Wilson / funnel helpers of metrics.stats, on tiny hand-checked data.

Known Wilson 95 % intervals: 2/10 → [0.0567, 0.5098]; 1/10 → [0.0179, 0.4042]; 8/8 → [0.6756, 1].
"""

from datetime import date

import duckdb
import pandas as pd
import pytest

from metrics import db, decisions
from metrics.filters import Filters
from metrics.stats import DECIDED, funnel_limits, rate_sql, wilson_sql
from tests.factories import dossier, make_warehouse

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))


def wilson(k, n):
    low, high = wilson_sql(str(k), str(n))
    return duckdb.sql(f"SELECT {rate_sql(str(k), str(n))}, {low}, {high}").fetchall()[0]


def test_wilson_bounds_match_known_values():
    assert wilson(2, 10) == pytest.approx((0.2, 0.05668, 0.50984), abs=5e-5)
    assert wilson(1, 10) == pytest.approx((0.1, 0.01788, 0.40415), abs=5e-5)
    assert wilson(8, 8) == pytest.approx((1.0, 0.67559, 1.0), abs=5e-5)
    assert wilson(0, 5)[1] == 0.0
    assert wilson(1, 4) == (None, None, None)                              # fewer than 5 decisions


def test_decided_condition_keeps_the_three_decisions():
    # "Not open" stands for "decided": the ETL loads no state outside these five (tests/test_ds_parse.py, _export.py).
    states = ["en_construction", "en_instruction", "accepte", "refuse", "sans_suite"]
    got = duckdb.sql(f"SELECT d.state FROM (SELECT unnest({states}) AS state) d WHERE {DECIDED} ORDER BY 1").fetchall()
    assert [state for (state,) in got] == ["accepte", "refuse", "sans_suite"]


def test_funnel_limits():
    limits = funnel_limits(0.5, 100)
    assert limits.n.iloc[0] == 5 and limits.n.iloc[-1] == 100 and limits.n.is_monotonic_increasing
    last = limits.iloc[-1]
    assert (last.low95, last.high95) == pytest.approx((0.5 - 1.959964 * 0.05, 0.5 + 1.959964 * 0.05))
    assert last.low998 == pytest.approx(0.5 - 3.090232 * 0.05)
    assert limits.iloc[0].high998 == 1.0                                   # clipped
    assert funnel_limits(0.5, 4).empty and funnel_limits(float("nan"), 50).empty
    assert list(funnel_limits(0.1, 60, n_min=50).n) == list(range(50, 61))


def decided(number, state, *, demarche=1, traite_at="2025-03-15 10:00", **values):
    return dossier(number, demarche=demarche, state=state, depose_at="2025-03-01 10:00", traite_at=traite_at,
                   **values)


# Paris: 10 decided in March (2 refused, 1 sans suite), apprentissage ×5 then CDD ×5.
PARIS = ([decided(i, "accepte") for i in range(1, 4)] + [decided(4, "refuse"), decided(5, "sans_suite")]
         + [decided(i, "accepte", contract_category="cdd") for i in range(6, 10)]
         + [decided(10, "refuse", contract_category="cdd")])
# Rhône: 4 decided in March (1 refused); then dossiers that must be ignored.
RHONE = [decided(11, "refuse", demarche=3)] + [decided(i, "accepte", demarche=3) for i in (12, 13, 14)]
IGNORED = [
    decided(15, "refuse", traite_at="2025-02-28 23:59"),                   # decided before the period
    decided(16, "refuse", traite_at="2025-04-01 00:00"),                   # decided after the period
    dossier(17, state="en_instruction", depose_at="2025-03-02 10:00"),      # open
]


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=PARIS + RHONE + IGNORED))
    yield
    db.use_database(None)


def test_decision_rates_of_the_period(warehouse):
    got = decisions.decision_rates(MARCH).iloc[0]
    assert (got.decided, got.acceptes, got.refuses, got.sans_suite) == (14, 10, 3, 1)
    assert got.refusal_rate == pytest.approx(3 / 14) and got.sans_suite_rate == pytest.approx(1 / 14)
    assert got.refusal_low < got.refusal_rate < got.refusal_high
    paris = decisions.decision_rates(Filters(MARCH.start, MARCH.end, departements=("75",))).iloc[0]
    assert (paris.refusal_rate, paris.refusal_low, paris.refusal_high) == pytest.approx((0.2, 0.05668, 0.50984),
                                                                                        abs=5e-5)
    assert (paris.sans_suite_low, paris.sans_suite_high) == pytest.approx((0.01788, 0.40415), abs=5e-5)
    rhone = decisions.decision_rates(Filters(MARCH.start, MARCH.end, departements=("69",))).iloc[0]
    assert rhone.decided == 4 and rhone[["refusal_rate", "refusal_low", "sans_suite_high"]].isna().all()
    empty = decisions.decision_rates(Filters(date(2020, 1, 1), date(2020, 1, 31))).iloc[0]
    assert empty.decided == 0 and empty[["refusal_rate", "sans_suite_rate"]].isna().all()


def test_rates_by_breakdowns(warehouse):
    by_dep = decisions.rates_by(MARCH, "departement")
    assert list(by_dep.key) == ["75", "69"] and list(by_dep.decided) == [10, 4]
    assert by_dep.refusal_rate.iloc[0] == pytest.approx(0.2) and by_dep.refusal_rate.isna().iloc[1]
    by_contract = decisions.rates_by(MARCH, "contract")
    assert list(by_contract.label) == ["Contrat d'apprentissage", "CDD"]       # reference order
    assert list(by_contract.decided) == [9, 5] and list(by_contract.refuses) == [2, 1]
    assert by_contract.refusal_rate.tolist() == pytest.approx([2 / 9, 0.2])   # exactly 5 decisions: shown
    by_nationality = decisions.rates_by(MARCH, "nationality")                 # no nationality given
    assert by_nationality.key.isna().all() and list(by_nationality.label) == ["Non renseignée"]
    by_audience = decisions.rates_by(MARCH, "audience")
    assert by_audience[["key", "label", "decided"]].values.tolist() == [["etudiant", "Étudiants", 14]]
    by_month = decisions.rates_by(Filters(date(2025, 2, 1), date(2025, 4, 30)), "month")
    assert [k.date() for k in by_month.key] == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    assert list(by_month.decided) == [1, 14, 1]


def test_decision_figures_are_the_single_metrics_from_one_query(warehouse):
    figures = decisions.decision_figures(MARCH)
    now, before = figures["now"].iloc[0], figures["previous"].iloc[0]
    assert (now.decided, now.acceptes, now.refuses, now.sans_suite) == (14, 10, 3, 1)
    # The previous period (29 January – 28 February) holds dossier 15 alone: one refusal, no rate under 5.
    assert (before.decided, before.refuses) == (1, 1) and before[["refusal_rate", "sans_suite_rate"]].isna().all()
    assert list(figures["contract"].decided) == [9, 5]
    for f in (MARCH, Filters(MARCH.start, MARCH.end, departements=("69",)),
              Filters(date(2025, 2, 1), date(2025, 4, 30)), Filters(date(2020, 1, 1), date(2020, 1, 31))):
        figures = decisions.decision_figures(f, ("month", "contract", "departement", "audience"))
        pd.testing.assert_frame_equal(figures["now"], decisions.decision_rates(f))
        pd.testing.assert_frame_equal(figures["previous"], decisions.decision_rates(f.previous()))
        for by in ("month", "contract", "departement", "audience"):
            pd.testing.assert_frame_equal(figures[by], decisions.rates_by(f, by))
    with pytest.raises(ValueError):
        decisions.decision_figures(MARCH, ("nationality",))


def test_rates_with_total_are_decision_rates_and_rates_by_from_one_query(warehouse):
    total, by_month = decisions.rates_with_total(Filters(date(2025, 2, 1), date(2025, 4, 30)), "month")
    assert (total.decided.iloc[0], total.refuses.iloc[0]) == (16, 5)                  # dossiers 1–16 (not 17, open)
    assert total.refusal_rate.iloc[0] == pytest.approx(5 / 16)
    assert [k.date() for k in by_month.key] == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
    assert list(by_month.decided) == [1, 14, 1] and by_month.refusal_rate.isna().tolist() == [True, False, True]
    _, by_dep = decisions.rates_with_total(MARCH, "departement")
    assert list(by_dep.label) == ["75 – Paris", "69 – Rhône"] and list(by_dep.decided) == [10, 4]
    for f in (MARCH, Filters(MARCH.start, MARCH.end, departements=("69",)),
              Filters(date(2025, 2, 1), date(2025, 4, 30)), Filters(date(2020, 1, 1), date(2020, 1, 31))):
        for by in ("month", "contract", "departement", "audience"):
            total, rows = decisions.rates_with_total(f, by)
            pd.testing.assert_frame_equal(total, decisions.decision_rates(f), check_exact=True)
            pd.testing.assert_frame_equal(rows, decisions.rates_by(f, by), check_exact=True)
    with pytest.raises(ValueError):
        decisions.rates_with_total(MARCH, "nationality")


def test_funnel_flags_departments_outside_the_interval(tmp_path):
    # Bouches-du-Rhône: 8 decided, all refused. National refusal rate: (2 + 1 + 8) / 22 = 0.5.
    marseille = [decided(100 + i, "refuse", departement="13") for i in range(8)]
    db.use_database(make_warehouse(tmp_path, dossiers=PARIS + RHONE + IGNORED + marseille))
    try:
        funnel = decisions.departement_funnel(MARCH, "refuse")
        assert list(funnel.departement) == ["13", "75", "69"]                 # by decreasing z, no rate last
        assert funnel.national_rate.tolist() == pytest.approx([0.5] * 3)
        assert funnel.z.iloc[0] == pytest.approx(0.5 / (0.25 / 8) ** 0.5)
        assert funnel.z.iloc[1] == pytest.approx(-0.3 / (0.25 / 10) ** 0.5)   # −1.90: inside the 95 % funnel
        assert funnel.position.iloc[0] == "above" and funnel.position.iloc[1] == "within"
        assert funnel.high.iloc[1] == pytest.approx(0.50984, abs=5e-5)        # 0.5 just inside Paris's interval
        assert funnel.position.isna().iloc[2] and funnel.rate.isna().iloc[2]
        only_paris = decisions.departement_funnel(Filters(MARCH.start, MARCH.end, departements=("75",)))
        assert list(only_paris.departement) == ["75"] and only_paris.national_rate[0] == pytest.approx(0.5)
        sans_suite = decisions.departement_funnel(MARCH, "sans_suite")
        assert sans_suite.national_rate[0] == pytest.approx(1 / 22)
        with pytest.raises(ValueError):
            decisions.departement_funnel(MARCH, "accepte")
    finally:
        db.use_database(None)
