"""metrics.impact on a tiny hand-built warehouse (period: 15 January – 31 March 2025).

Deposits: Paris 2 in December 2024 (employer démarche) and 1 on 10 January 2025, then 1 on 20 January and 2 in
March; Bouches-du-Rhône its first on 10 January (before the period starts); Rhône its first on 10 March.
Visits: February, one that bounces on the home page, one that goes home → student page → DS, one FAQ only;
March, one that lands on the student page and goes to DS.
"""

from datetime import date

import pandas as pd
import pytest

from metrics import db, impact, journey
from metrics.filters import Filters
from tests.factories import dossier, make_warehouse
from tests.test_metrics_audience import journey_visit, step

PERIOD = Filters(date(2025, 1, 15), date(2025, 3, 31))
S75 = {"departement": "75", "audience": "etudiant"}
DOSSIERS = [
    dossier(1, demarche=2, depose_at="2024-12-02 10:00"),
    dossier(2, demarche=2, depose_at="2024-12-03 10:00"),
    dossier(3, depose_at="2025-01-10 10:00"),
    dossier(4, departement="13", depose_at="2025-01-10 11:00"),
    dossier(5, depose_at="2025-01-20 10:00"),
    dossier(6, depose_at="2025-03-03 10:00"),
    dossier(7, demarche=3, depose_at="2025-03-10 10:00"),
]
VISITS = [
    journey_visit(1, "2025-02-03 10:00", [step(0, "accueil")]),
    journey_visit(2, "2025-02-04 10:00", [step(0, "accueil"), step(60, "etudiant", **S75),
                                          step(200, "depart_ds", **S75)]),
    journey_visit(3, "2025-02-05 10:00", [step(0, "faq")]),
    journey_visit(4, "2025-03-05 10:00", [step(0, "etudiant", **S75), step(90, "depart_ds", **S75)]),
]


@pytest.fixture
def warehouse(tmp_path):
    visits, actions = zip(*VISITS, strict=True)
    db.use_database(make_warehouse(tmp_path, dossiers=DOSSIERS, visits=visits,
                                   actions=[a for acts in actions for a in acts]))
    yield
    db.use_database(None)


def months(frame) -> list[str]:
    return frame.month.dt.strftime("%Y-%m").tolist()


def test_since_launch(warehouse):
    assert impact.since_launch(PERIOD).start == date(2024, 12, 2)
    assert impact.since_launch(Filters(date(2024, 1, 1), date(2025, 1, 1))).start == date(2024, 1, 1)


def test_cumulative_deposits_count_the_history_before_the_period(warehouse):
    got = impact.cumulative_deposits(PERIOD)
    assert months(got) == ["2025-01", "2025-02", "2025-03"]
    assert got.deposes.tolist() == [1, 0, 2]          # 10 January is before the period
    assert got.cumulative.tolist() == [5, 5, 7]       # 4 deposits before 15 January
    employers = impact.cumulative_deposits(Filters(PERIOD.start, PERIOD.end, audience="employeur"))
    assert employers.cumulative.tolist() == [2, 2, 2]


def test_departements_covered(warehouse):
    got = impact.departements_covered(PERIOD)
    assert got.new.tolist() == [0, 0, 1]               # Bouches-du-Rhône came on 10 January, before the period
    assert got.covered.tolist() == [2, 2, 3]
    assert got.new_names.iloc[2] == "Rhône" and pd.isna(got.new_names.iloc[0])
    launch = impact.departements_covered(impact.since_launch(PERIOD))
    assert months(launch) == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert launch.new.tolist() == [1, 1, 0, 1] and launch.new_names.iloc[1] == "Bouches-du-Rhône"
    assert impact.departements_covered(Filters(PERIOD.start, PERIOD.end, departements=("69",))).covered.tolist() \
        == [0, 0, 1]


def test_reach_ds_by_month(warehouse):
    got = impact.reach_ds_by_month(PERIOD)
    assert months(got) == ["2025-01", "2025-02", "2025-03"]
    assert got.started.tolist() == [0, 2, 1] and got.reached_ds.tolist() == [0, 1, 1]
    assert pd.isna(got.share.iloc[0]) and got.share.tolist()[1:] == [0.5, 1.0]


def test_reach_ds_over_the_period(warehouse):
    got = impact.reach_ds(PERIOD).iloc[0]
    assert (got.started, got.reached_ds, got.share) == (3, 2, pytest.approx(2 / 3))
    assert got.share == journey.funnel(PERIOD, "month").set_index("step").loc["depart_ds", "overall"]
    none = impact.reach_ds(Filters(date(2020, 1, 1), date(2020, 1, 31))).iloc[0]
    assert (none.started, none.reached_ds) == (0, 0) and pd.isna(none.share)


def test_deposits_and_departments_from_one_query(warehouse):
    db._cached_query.cache_clear()
    impact.cumulative_deposits(PERIOD), impact.departements_covered(PERIOD)
    impact.reach_ds_by_month(PERIOD), impact.reach_ds(PERIOD)
    assert db._cached_query.cache_info().misses == 2
