"""metrics.reports on a tiny warehouse whose answers were worked out by hand (report month: March 2025).

Calendar days / working days of each decided dossier (no public holiday in February or March 2025):
1: Mon 3 → Mon 10 March, 7 / 5; 2: Mon 24 Feb → Wed 12 March, 16 / 12; 3: same day, 0 / 0; 4: Wed 5 → Fri 7,
2 / 2; 5: Thu 6 → Thu 20, 14 / 10; 6: Thu 20 Feb → Fri 21 March, 29 / 21; 7: Fri 7 → Mon 10, 3 / 1;
12: Mon 10 → Fri 14, 4 / 4.
"""

from datetime import date

import pytest

from metrics import db, reports
from tests.factories import dossier, make_warehouse

MARCH = "2025-03"


def decided(number, state, depot, traite, *, nationality=None, start=None, end=None, **values):
    values = {"en_instruction_at": f"{depot} 11:00", **values}
    return dossier(number, state=state, depose_at=f"{depot} 10:00", traite_at=f"{traite} 10:00",
                   nationality=nationality, apt_start=start, apt_end=end, **values)


ROWS = [
    decided(1, "accepte", "2025-03-03", "2025-03-10", nationality="MA", start="2025-04-01", end="2025-06-30"),  # 91 j
    decided(2, "accepte", "2025-02-24", "2025-03-12", nationality="MA", start="2025-04-01", end="2025-06-29"),  # 90 j
    decided(3, "accepte", "2025-03-04", "2025-03-04", nationality="DZ", end="2025-06-29"),              # no start
    decided(4, "accepte", "2025-03-05", "2025-03-07", start="2025-06-01", end="2025-04-01"),              # inverted
    decided(5, "refuse", "2025-03-06", "2025-03-20", nationality="DZ"),
    decided(6, "refuse", "2025-02-20", "2025-03-21", nationality="MA"),
    decided(7, "sans_suite", "2025-03-07", "2025-03-10", nationality="TN"),
    decided(8, "accepte", "2025-02-03", "2025-02-10", nationality="MA", start="2025-03-01", end="2025-12-31"),
    decided(9, "accepte", "2024-03-01", "2024-03-05", nationality="SN", start="2024-04-01", end="2024-04-30"),
    dossier(10, state="en_instruction", depose_at="2025-03-25 10:00", en_instruction_at="2025-03-26 09:00"),
    decided(11, "accepte", "2025-03-28", "2025-04-02", en_instruction_at=None),   # open at the end of March
    decided(12, "accepte", "2025-03-10", "2025-03-14", demarche=3, nationality="CN", start="2025-04-01",
            end="2025-12-31"),
    dossier(13, state="en_construction", depose_at="2025-01-06 10:00"),           # 60 working days old on 31/03
]


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=ROWS))
    yield
    db.use_database(None)


def test_month_helpers():
    assert reports.parse_month("2025-03") == date(2025, 3, 1)
    assert reports.parse_month(date(2025, 3, 17)) == date(2025, 3, 1)
    for bad in ("2025-13", "2025-3", "mars", ""):
        with pytest.raises(ValueError):
            reports.parse_month(bad)
    f = reports.month_filters("2024-02", "75")
    assert (f.start, f.end, f.departements) == (date(2024, 2, 1), date(2024, 2, 29), ("75",))
    assert reports.comparison_months("2025-01") == {"mois": date(2025, 1, 1), "mois_precedent": date(2024, 12, 1),
                                                    "annee_precedente": date(2024, 1, 1)}


def test_accepted_split_by_apt_length(warehouse):
    split = reports.accepted_apt_split(reports.month_filters(MARCH)).iloc[0]
    assert split.to_dict() == {"accepte_long": 2, "accepte_court": 1, "accepte_dates": 2}
    only_75 = reports.accepted_apt_split(reports.month_filters(MARCH, "75")).iloc[0]
    assert only_75.to_dict() == {"accepte_long": 1, "accepte_court": 1, "accepte_dates": 2}
    empty = reports.accepted_apt_split(reports.month_filters("2020-01")).iloc[0]
    assert empty.tolist() == [0, 0, 0]


def test_summary_by_decision_month_with_comparisons(warehouse):
    got = reports.report_summary(MARCH).set_index("indicator")
    assert list(got.index) == [key for key, _, _ in reports.INDICATORS]
    month = got.mois.to_dict()
    assert {k: month[k] for k in ("deposes", "decided", "acceptes", "accepte_long", "accepte_court",
                                  "accepte_dates", "refuses", "sans_suite", "open", "open_instruction",
                                  "open_over_30")} == {
        "deposes": 8, "decided": 8, "acceptes": 5, "accepte_long": 2, "accepte_court": 1, "accepte_dates": 2,
        "refuses": 2, "sans_suite": 1, "open": 3, "open_instruction": 1, "open_over_30": 1}
    assert month["refusal_rate"] == pytest.approx(0.25)
    assert month["median_calendar"] == pytest.approx(5.5)      # 0 2 3 4 | 7 14 16 29
    assert month["p90_calendar"] == pytest.approx(19.9)        # 16 + 0.3 × (29 − 16)
    assert month["median_working"] == pytest.approx(4.5)       # 0 1 2 4 | 5 10 12 21
    assert month["p90_working"] == pytest.approx(14.7)
    assert got.loc["deposes", "mois_precedent"] == 3 and got.loc["deposes", "annee_precedente"] == 1
    assert got.loc["decided", "mois_precedent"] == 1 and got.loc["accepte_long", "mois_precedent"] == 1
    assert got.loc["accepte_court", "annee_precedente"] == 1
    assert got.loc["deposes", "evolution_mois"] == pytest.approx(8 / 3 - 1)
    assert got.loc["median_working", "evolution_mois"] == pytest.approx(4.5 - 5)   # days, not a ratio
    assert got.loc["refuses", "evolution_mois"] != got.loc["refuses", "evolution_mois"]   # NaN: 0 refusals before
    assert got.loc["refusal_rate", "mois_precedent"] != got.loc["refusal_rate", "mois_precedent"]  # < 5 decisions


def test_summary_for_one_department(warehouse):
    got = reports.report_summary(MARCH, "75").set_index("indicator").mois
    assert (got.deposes, got.decided, got.acceptes, got.accepte_long) == (7, 7, 4, 1)
    assert got.refusal_rate == pytest.approx(2 / 7)
    assert reports.report_summary(MARCH, "69").set_index("indicator").mois.decided == 1


def test_top_nationalities_per_category(warehouse):
    got = reports.outcome_nationalities(reports.month_filters(MARCH))
    assert set(got.scope) == {reports.NATIONAL}
    rows = [(r.category, r.rank, r.label, r.dossiers) for r in got.itertuples()]
    assert rows == [
        ("accepte_long", 1, "Chine", 1), ("accepte_long", 2, "Maroc", 1),     # tie: alphabetical
        ("accepte_court", 1, "Maroc", 1),
        ("accepte_dates", 1, "Algérie", 1),                                     # unknown nationality not ranked
        ("refuse", 1, "Algérie", 1), ("refuse", 2, "Maroc", 1),
        ("sans_suite", 1, "Tunisie", 1),
    ]
    assert got.set_index(["category", "rank"]).loc[("accepte_dates", 1), "share"] == pytest.approx(0.5)
    assert got.category_label.iloc[0] == reports.CATEGORIES["accepte_long"]
    top1 = reports.outcome_nationalities(reports.month_filters(MARCH), top=1)
    assert list(top1["rank"]) == [1] * 5
    assert reports.outcome_nationalities(reports.month_filters("2020-01")).empty
    per_dep = reports.outcome_nationalities(reports.month_filters(MARCH), ["69", "75"])
    assert [(r.scope, r.category, r.label) for r in per_dep.itertuples()][:2] == [
        ("69", "accepte_long", "Chine"), ("75", "accepte_long", "Maroc")]
    assert len(per_dep) == 7 and per_dep[per_dep.scope == "75"].dossiers.sum() == 6


def test_grouped_indicators_equal_the_metrics_that_define_them(warehouse):
    """month_indicators groups the SQL of the dossier metrics: each scope equals the metric functions."""
    from metrics import decisions, delays, dossiers

    for month in ("2025-02", MARCH, "2025-04"):
        grouped = reports.month_indicators(reports.month_filters(month), [reports.NATIONAL, "75", "69", "13"])
        assert list(grouped.scope) == [reports.NATIONAL, "75", "69", "13"]
        for row in grouped.itertuples():
            f = reports.month_filters(month, None if row.scope == reports.NATIONAL else row.scope)
            rates = decisions.decision_rates(f).iloc[0]
            working = delays.processing_summary(f, "working").iloc[0]
            calendar = delays.processing_summary(f, "calendar").iloc[0]
            backlog = delays.backlog_summary(f).iloc[0]
            split = reports.accepted_apt_split(f).iloc[0]
            expected = {
                "deposes": dossiers.deposits_summary(f).deposes.iloc[0], "decided": rates.decided,
                "acceptes": rates.acceptes, "refuses": rates.refuses, "sans_suite": rates.sans_suite,
                "refusal_rate": rates.refusal_rate, "median_working": working["median"], "p90_working": working.p90,
                "median_calendar": calendar["median"], "p90_calendar": calendar.p90, "open": backlog.open,
                "open_instruction": backlog.en_instruction, "open_over_30": backlog.over_30, **split.to_dict()}
            got = row._asdict()
            for key, value in expected.items():
                assert got[key] == pytest.approx(value, nan_ok=True), (month, row.scope, key)


def test_departements_and_months(warehouse):
    assert reports.report_departements(MARCH).code.tolist() == ["69", "75"]
    assert reports.report_departements("2024-03").code.tolist() == ["75"]
    months = reports.available_months()
    assert months[0] == date(2025, 4, 1) and months[-1] == date(2024, 3, 1)
