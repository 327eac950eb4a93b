"""metrics.journey on a tiny hand-built visit log whose answers were worked out by hand.

March 2025 (the period) holds nine visits; the previous period (29 January – 28 February) one; April one long
visit for the path truncation. Offsets are seconds after the visit's first action.

    v1  accueil                                            bounce: lost on accueil
    v2  accueil → etudiant(75) → [DS 75] → faq             DS click in the middle: successful departure
    v3  accueil → employeur(75) → employeur                reload merged in paths; lost on employeur
    v4  accueil → non_eligible(33)                         ineligible, not lost
    v5  faq (Morocco, smartphone)                          lost on faq, not in the funnel
    v7  etudiant(69) → [DS 69]                             enters on the checklist: passed the home page
    v8  accueil → etudiant(75) → faq → etudiant            lost on etudiant (page viewed twice)
    v10 accueil → non_eligible(69)                         after the Rhône opened (10 March)
    v6  accueil → etudiant(69)          (20 February)      previous period: lost on etudiant
    v9  accueil → faq → accueil → etudiant → employeur (2 April): longer than four pages
"""

from datetime import date

import pandas as pd
import pytest

from metrics import db, journey
from metrics.filters import Filters
from tests.factories import dossier, make_warehouse
from tests.test_metrics_audience import journey_visit, step

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))
APRIL = Filters(date(2025, 4, 1), date(2025, 4, 30))
E75, S75 = {"departement": "75", "audience": "employeur"}, {"departement": "75", "audience": "etudiant"}
S69 = {"departement": "69", "audience": "etudiant"}

VISITS = [
    journey_visit(1, "2025-03-03 10:00", [step(0, "accueil")]),
    journey_visit(2, "2025-03-03 11:00", [step(0, "accueil"), step(60, "etudiant", **S75),
                                          step(200, "depart_ds", **S75), step(260, "faq")], device_type="smartphone"),
    journey_visit(3, "2025-03-04 09:00", [step(0, "accueil"), step(30, "employeur", **E75),
                                          step(90, "employeur", **E75)]),
    journey_visit(4, "2025-03-05 14:00", [step(0, "accueil"), step(20, "non_eligible", departement="33")],
                  device_type="tablet"),
    journey_visit(5, "2025-03-06 15:00", [step(0, "faq")], device_type="smartphone", country_code="MA"),
    journey_visit(7, "2025-03-07 16:00", [step(0, "etudiant", **S69), step(400, "depart_ds", **S69)]),
    journey_visit(8, "2025-03-12 10:00", [step(0, "accueil"), step(40, "etudiant", **S75), step(100, "faq"),
                                          step(160, "etudiant", **S75)]),
    journey_visit(10, "2025-03-20 10:00", [step(0, "accueil"), step(15, "non_eligible", departement="69")]),
    journey_visit(6, "2025-02-20 10:00", [step(0, "accueil"), step(30, "etudiant", **S69)]),
    journey_visit(9, "2025-04-02 10:00", [step(0, "accueil"), step(10, "faq"), step(20, "accueil"),
                                          step(30, "etudiant", **S75), step(40, "employeur", **E75)]),
]
DOSSIERS = [
    dossier(1, state="accepte", depose_at="2025-03-03 12:00", traite_at="2025-03-07 10:00"),
    dossier(2, demarche=2, depose_at="2025-03-04 12:00"),                                    # still en construction
    dossier(3, demarche=3, state="en_instruction", depose_at="2025-03-10 12:00"),            # Rhône opens
    dossier(4, state="accepte", depose_at="2025-02-10 12:00", traite_at="2025-03-05 10:00"),  # deposited before
    dossier(5, state="refuse", depose_at="2025-03-20 12:00", traite_at="2025-03-25 10:00", contract_category="cdd"),
]

# Daily reports of two days without raw log (purged): 25 February and 10 March.
DAILY = [{"site_id": 1, "day": day, "nb_visits": n, "nb_actions": n, "bounce_count": 0, "sum_visit_length": 0}
         for day, n in (("2025-02-25", 12), ("2025-03-10", 40))]


@pytest.fixture
def warehouse(tmp_path):
    visits, actions = zip(*VISITS, strict=True)
    db.use_database(make_warehouse(tmp_path, visits=visits, actions=[a for acts in actions for a in acts],
                                   dossiers=DOSSIERS, daily=DAILY))
    yield
    db.use_database(None)


def test_funnel_joins_site_steps_and_dossiers_of_the_period(warehouse):
    got = journey.funnel(MARCH)
    assert list(got.step) == ["accueil", "checklist", "depart_ds", "deposes", "instruits", "decides"]
    assert list(got.source) == ["site"] * 3 + ["ds"] * 3
    # accueil: every visit but v5 (FAQ only); checklist: v2, v3, v7, v8; DS: v2, v7.
    # Dossiers deposited in March: 1, 2, 3, 5; in instruction or beyond: 1, 3, 5; decided: 1, 5.
    assert list(got["count"]) == [7, 4, 2, 4, 3, 2]
    assert got.conversion.tolist() == pytest.approx([float("nan"), 4 / 7, 2 / 4, 4 / 2, 3 / 4, 2 / 3], nan_ok=True)
    assert got["drop"].tolist()[1:] == [3, 2, -2, 1, 1]
    assert got.overall.tolist() == pytest.approx([float("nan"), 4 / 7, 2 / 7, 4 / 7, 3 / 7, 2 / 7], nan_ok=True)
    # The contract filter applies to neither half; the audience filter to both.
    assert journey.funnel(Filters(MARCH.start, MARCH.end, contracts=("cdd",)))["count"].tolist() == [7, 4, 2, 4, 3, 2]
    employers = journey.funnel(Filters(MARCH.start, MARCH.end, audience="employeur"))
    assert employers["count"].tolist() == [1, 1, 0, 1, 0, 0]                                 # v3; dossier 2
    empty = journey.funnel(Filters(date(2020, 1, 1), date(2020, 1, 31)))
    assert empty["count"].tolist() == [0] * 6 and empty.conversion.isna().all() and empty.overall.isna().all()
    # Summed from the months instead of the departments: the same funnel; March–April adds v9 (accueil, checklist).
    pd.testing.assert_frame_equal(journey.funnel(MARCH, "month"), got)
    assert journey.funnel(Filters(MARCH.start, APRIL.end), "month")["count"].tolist() == [8, 5, 2, 4, 3, 2]
    assert journey.funnel(Filters(date(2020, 1, 1), date(2020, 1, 31)), "month")["count"].tolist() == [0] * 6
    with pytest.raises(ValueError):
        journey.funnel(MARCH, "device")                                       # DS knows no device


def test_funnel_by_department_and_device(warehouse):
    by_dep = journey.funnel_by(MARCH, "departement")
    assert by_dep.label.tolist() == ["75 – Paris", "69 – Rhône", "33 – Gironde", "Non renseigné"]
    assert by_dep[["accueil", "checklist", "depart_ds", "deposes", "instruits", "decides"]].values.tolist() == [
        [3, 3, 1, 3, 2, 2], [2, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]
    assert by_dep.ds_rate.tolist()[:2] == pytest.approx([1 / 3, 1.0])
    assert by_dep.deposit_ratio.tolist()[:2] == pytest.approx([3.0, 1.0])
    by_device = journey.funnel_by(MARCH, "device")
    assert by_device.label.tolist() == ["Ordinateur", "Smartphone", "Tablette"]
    assert by_device[["accueil", "checklist", "depart_ds"]].values.tolist() == [[5, 3, 1], [1, 1, 1], [1, 0, 0]]
    assert by_device.deposes.isna().all()
    months = journey.funnel_by(Filters(MARCH.start, APRIL.end), "month")
    assert [k.date() for k in months.key] == [date(2025, 3, 1), date(2025, 4, 1)]
    assert months[["accueil", "checklist", "depart_ds", "deposes", "instruits", "decides"]].values.tolist() == [
        [7, 4, 2, 4, 3, 2], [1, 1, 0, 0, 0, 0]]                                             # v9 in April
    with pytest.raises(ValueError):
        journey.funnel_by(MARCH, "browser")


def test_page_table_counts_losses_apart_from_ineligible_and_departures(warehouse):
    table = journey.page_table(MARCH).set_index("page_key")
    assert set(table.index) == {"accueil", "etudiant", "employeur", "non_eligible", "faq", "cgu", "stats",
                                "verification", "introduction", "autre"}
    accueil, etudiant = table.loc["accueil"], table.loc["etudiant"]
    assert (accueil.visits, accueil.pageviews, accueil.entries, accueil.exits, accueil.lost) == (6, 6, 6, 1, 1)
    assert accueil.exit_rate == pytest.approx(1 / 6) and accueil.ds_after == 1        # v2 clicked after accueil
    # Time on the home page, over views followed by another action: v2 60, v3 30, v4 20, v8 40, v10 15 (v1: last).
    assert accueil.avg_time_s == pytest.approx(165 / 5)
    assert (etudiant.visits, etudiant.pageviews, etudiant.entries, etudiant.exits) == (3, 4, 1, 2)
    assert (etudiant.exits_ds, etudiant.lost, etudiant.ds_after) == (1, 1, 2)          # v7 left for DS, v8 lost
    # v2 140 s before the DS click, v7 400 s, v8 60 s (its second view is its last action).
    assert etudiant.avg_time_s == pytest.approx(600 / 3)
    faq = table.loc["faq"]
    assert (faq.visits, faq.exits, faq.exits_ds, faq.lost, faq.ds_after) == (3, 2, 1, 1, 0)  # v2 read it after DS
    ineligible = table.loc["non_eligible"]
    assert (ineligible.visits, ineligible.exits, ineligible.exits_ineligible, ineligible.lost) == (2, 2, 2, 0)
    assert table.loc["employeur"].pageviews == 2 and table.loc["employeur"].lost_rate == 1.0
    cgu = table.loc["cgu"]
    assert cgu.visits == 0 and pd.isna(cgu.exit_rate) and pd.isna(cgu.avg_time_s)
    assert table.lost.sum() == 4                                                         # v1, v3, v5, v8


def test_priority_score_ranks_pages_against_their_group(warehouse):
    got = journey.priority(MARCH, min_visits=1)
    ranked = got[got["rank"].notna()]
    # Journey pages: 3 lost of 10 page visits → baseline 0.3; information pages: faq 1 of 3.
    assert ranked.page_key.tolist() == ["employeur", "etudiant", "faq", "accueil"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    employeur, etudiant, faq, accueil = (ranked.iloc[i] for i in range(4))
    assert employeur.baseline == pytest.approx(0.3) and faq.baseline == pytest.approx(1 / 3)
    assert employeur.loss_index == pytest.approx(1 / 0.3) and employeur.score == pytest.approx(1 / 0.3)
    assert etudiant.score == pytest.approx((1 / 3) / 0.3) and faq.score == pytest.approx(1.0)
    assert accueil.score == pytest.approx((1 / 6) / 0.3)
    assert "non_eligible" not in set(got.page_key)                                          # never a loss
    # Previous period: v6 alone (accueil 0 lost of 1, etudiant 1 of 1 → baseline 1/2).
    assert etudiant.prev_score == pytest.approx(2.0) and etudiant.prev_rank == 1
    assert etudiant.score_change == pytest.approx((1 / 3) / 0.3 / 2 - 1)
    assert etudiant.lost_rate_change == pytest.approx(1 / 3 - 1)
    assert accueil.prev_score == 0 and pd.isna(accueil.prev_rank) and pd.isna(accueil.score_change)  # no loss
    assert employeur.prev_visits == 0 and pd.isna(employeur.prev_rank)
    # With the default minimum volume nothing here is ranked.
    assert journey.priority(MARCH)["rank"].isna().all()
    # A period without visits (1-30 May) after one with v9 alone (April): no loss, no baseline; April as previous
    # period: journey pages accueil, etudiant, employeur, 1 lost of 3 page visits → employeur 1 × 1 / (1/3).
    may = journey.priority(Filters(date(2025, 5, 1), date(2025, 5, 30)), min_visits=1).set_index("page_key")
    assert may["rank"].isna().all() and (may.visits == 0).all() and may.baseline.isna().all()
    assert may.loc["employeur"].prev_lost == 1 and may.loc["employeur"].prev_score == pytest.approx(3.0)
    assert may.loc["etudiant"].prev_visits == 1 and may.loc["etudiant"].prev_lost == 0


def test_paths_merge_repeats_stop_at_the_departure_and_group_the_rest(warehouse):
    got = journey.paths(MARCH, limit=3)
    assert [list(p) for p in got.path] == [
        ["accueil", "non_eligible", "sortie"], ["accueil", "employeur", "sortie"], ["accueil", "etudiant", "depart_ds"],
        ["accueil", "autres"], ["etudiant", "autres"], ["faq", "autres"]]
    assert got.visits.tolist() == [2, 1, 1, 2, 1, 1] and got.share.sum() == pytest.approx(1.0)
    assert got.other.tolist() == [False] * 3 + [True] * 3
    assert got.reached_ds.tolist() == [False, False, True, False, False, False]
    assert got.path_label[0] == ("Accueil (choix du département et du public) → Département non couvert → "
                                 "Sortie du site")
    every = journey.paths(MARCH)
    assert ["accueil", "etudiant", "faq", "etudiant", "sortie"] in [list(p) for p in every.path]   # v8, 5 nodes
    long_path = journey.paths(APRIL)
    assert [list(p) for p in long_path.path] == [["accueil", "faq", "accueil", "etudiant", "suite"]]


def test_transitions_are_the_links_of_the_kept_paths(warehouse):
    got = journey.transitions(MARCH, limit=3)
    rows = [tuple(r) for r in got[["step", "source", "target", "visits"]].itertuples(index=False)]
    assert rows == [
        (1, "accueil", "autres", 2), (1, "accueil", "non_eligible", 2), (1, "accueil", "employeur", 1),
        (1, "accueil", "etudiant", 1), (1, "etudiant", "autres", 1), (1, "faq", "autres", 1),
        (2, "non_eligible", "sortie", 2), (2, "employeur", "sortie", 1), (2, "etudiant", "depart_ds", 1)]
    assert got.target_label[0] == "Autres parcours"
    # Each visit enters once: the first step carries every visit with a path.
    assert got[got.step == 1].visits.sum() == 8
    # v9 alone in April: its cut path gives four links, the last one to "suite".
    april = journey.transitions(APRIL)
    assert [tuple(r) for r in april[["step", "source", "target", "visits"]].itertuples(index=False)] == [
        (1, "accueil", "faq", 1), (2, "faq", "accueil", 1), (3, "accueil", "etudiant", 1), (4, "etudiant", "suite", 1)]
    empty = journey.transitions(Filters(date(2020, 1, 1), date(2020, 1, 31)))
    assert empty.empty and list(empty.columns) == list(got.columns)


def test_ineligibility_by_requested_department(warehouse):
    summary = journey.ineligibility_summary(MARCH).iloc[0]
    assert (summary.visits, summary.ineligible) == (8, 2) and summary.share == pytest.approx(0.25)
    by_dep = journey.ineligibility_by_departement(MARCH)
    assert by_dep.departement.tolist() == ["33", "69"] and by_dep.name.tolist() == ["Gironde", "Rhône"]
    assert by_dep.visits.tolist() == [1, 1] and by_dep.share.tolist() == [0.5, 0.5]
    # Gironde never opened: demand before rollout; the Rhône opened on 10 March, before v10.
    assert by_dep.before_opening.tolist() == [1, 0] and by_dep.after_opening.tolist() == [0, 1]
    assert by_dep.label.tolist() == ["33 – Gironde", "69 – Rhône"]
    assert by_dep.first_deposit.isna().tolist() == [True, False]
    assert by_dep.first_deposit[1].date() == date(2025, 3, 10)
    assert journey.ineligibility_by_departement(Filters(MARCH.start, MARCH.end, departements=("33",))).visits.tolist() \
        == [1]
    # The openings do not depend on the filters: the Rhône's is still 10 March when the period ends before it.
    early = journey.ineligibility_by_departement(Filters(date(2025, 3, 1), date(2025, 3, 5)))
    assert early.departement.tolist() == ["33"] and early.before_opening.tolist() == [1]
    assert journey._openings().set_index("departement").first_deposit["69"].date() == date(2025, 3, 10)
    assert journey.ineligibility_by_departement(Filters(date(2020, 1, 1), date(2020, 1, 31))).empty


def test_journey_summaries_match_the_funnel_and_the_page_table(warehouse):
    got, before = (row for _, row in journey.journey_summaries(MARCH).iterrows())
    assert (got.visits, got.journey_visits, got.departures, got.lost, got.ineligible) == (8, 7, 2, 4, 2)
    assert got.departure_rate == pytest.approx(2 / 7) and got.lost_share == pytest.approx(4 / 8)
    assert got.lost == journey.page_table(MARCH).lost.sum()
    assert (got.purged_days, got.purged_visits) == (1, 40)                           # 10 March, whole site
    # Previous period (29 January – 28 February): v6, lost on etudiant; 25 February purged.
    assert (before.visits, before.journey_visits, before.departures, before.lost, before.ineligible) == (1, 1, 0, 1, 0)
    assert before.departure_rate == 0 and before.lost_share == 1
    assert (before.purged_days, before.purged_visits) == (1, 12)
    # The purged days ignore the department filter; the visits follow it (v3 alone in the 75 employers' March).
    employers = journey.journey_summaries(Filters(MARCH.start, MARCH.end, departements=("75",), audience="employeur"))
    assert employers[["visits", "lost", "purged_days", "purged_visits"]].values.tolist() == [[1, 1, 1, 40],
                                                                                              [0, 0, 1, 12]]
    empty = journey.journey_summaries(Filters(date(2020, 1, 1), date(2020, 1, 31)))
    assert (empty[["visits", "lost", "ineligible", "purged_days"]] == 0).all().all()
    assert empty.departure_rate.isna().all() and empty.lost_share.isna().all()
