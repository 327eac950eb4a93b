"""metrics.audience on a tiny hand-built visit log and daily reports, answers worked out by hand.

Also ``journey_visit`` / ``step``: a visit and its actions from a list of steps, shared by the journey and
time-to-apply tests.

March 2025: five raw visits (3, 4, 5 and 6 March), 10 March purged (daily report: 40 visits, 100 actions of
which 90 page views in the page report, 10 bounces, 4 000 s), 11 March empty, 12 March purged without page
report (5 visits, 12 actions, 1 bounce, 300 s).

    v1  Mon 3 March 10:00  accueil                                  bounce, desktop, direct, Île-de-France
    v2  Mon 3 March 11:00  accueil → etudiant(75) → [DS] → faq       smartphone, Google, Île-de-France
    v3  Tue 4 March 09:00  accueil → employeur(75) → employeur       desktop, service-public.fr, Nouvelle-Aquitaine
    v4  Wed 5 March 14:00  accueil → non_eligible(33)                tablet, direct, France without region
    v5  Thu 6 March 15:00  faq                                       bounce, smartphone, LinkedIn, Morocco
"""

from datetime import date

import duckdb
import pandas as pd
import pytest

from metrics import audience, db
from metrics.filters import Filters
from tests.factories import action, make_warehouse, visit

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))
OUTLINKS = {"depart_ds": "outlink", "document": "download"}


def step(offset: int, page_key: str, **values) -> tuple[int, str, dict]:
    """One action ``offset`` seconds after the visit's start: a page view, or a DS outlink (``depart_ds``) or a
    download (``document``); ``values`` are action columns (``departement``, ``audience``…)."""
    return offset, page_key, values


def journey_visit(key: int, start: str, steps: list[tuple], **values) -> tuple[dict, list[dict]]:
    """A visit row and its action rows, with the counts, duration and time spent Matomo would give: a page
    view lasts until the next action, the last one 0 s."""
    t0 = pd.Timestamp(start)
    actions = []
    for position, (offset, page_key, extra) in enumerate(steps, start=1):
        kind = OUTLINKS.get(page_key, "action")
        following = steps[position][0] if position < len(steps) else offset
        spent = {"time_spent_s": following - offset} if kind == "action" else {}
        actions.append(action(key, position, at=str(t0 + pd.Timedelta(seconds=offset)), page_key=page_key,
                              action_type=kind, **spent, **extra))
    pageviews = sum(1 for a in actions if a["action_type"] == "action")
    row = visit(key, day=str(t0.date()), started_at=start, duration_s=max(s[0] for s in steps),
                nb_pageviews=pageviews, nb_actions=len(actions), **values)
    return row, actions


S75, E75 = {"departement": "75", "audience": "etudiant"}, {"departement": "75", "audience": "employeur"}
VISITS = [
    journey_visit(1, "2025-03-03 10:00", [step(0, "accueil")], region_code="IDF"),
    journey_visit(2, "2025-03-03 11:00", [step(0, "accueil"), step(60, "etudiant", **S75),
                                          step(200, "depart_ds", **S75), step(260, "faq")],
                  device_type="smartphone", referrer_type="search", referrer_name="Google", region_code="IDF"),
    journey_visit(3, "2025-03-04 09:00", [step(0, "accueil"), step(30, "employeur", **E75),
                                          step(90, "employeur", **E75)],
                  referrer_type="website", referrer_name="www.service-public.fr", region_code="NAQ"),
    journey_visit(4, "2025-03-05 14:00", [step(0, "accueil"), step(20, "non_eligible", departement="33")],
                  device_type="tablet"),
    journey_visit(5, "2025-03-06 15:00", [step(0, "faq")], device_type="smartphone", referrer_type="social",
                  referrer_name="LinkedIn", country_code="MA"),
]
DAILY = [
    {"site_id": 1, "day": "2025-03-03", "nb_visits": 2, "nb_actions": 5, "bounce_count": 1, "sum_visit_length": 260},
    {"site_id": 1, "day": "2025-03-10", "nb_visits": 40, "nb_actions": 100, "bounce_count": 10,
     "sum_visit_length": 4000},
    {"site_id": 1, "day": "2025-03-11", "nb_visits": 0, "nb_actions": 0, "bounce_count": 0, "sum_visit_length": 0},
    {"site_id": 1, "day": "2025-03-12", "nb_visits": 5, "nb_actions": 12, "bounce_count": 1, "sum_visit_length": 300},
]


def add_page_report(path, day: str, rows: list[tuple[str, int]]) -> None:
    """Daily ``Actions.getPageUrls`` rows (url, hits) in a built warehouse."""
    con = duckdb.connect(str(path))
    try:
        for url, hits in rows:
            con.execute("INSERT INTO matomo_pages_daily (site_id, day, report, url, nb_visits, nb_hits) "
                        "VALUES (1, $d, 'pages', $u, $h, $h)", {"d": day, "u": url, "h": hits})
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path):
    visits, actions = zip(*VISITS, strict=True)
    path = make_warehouse(tmp_path, visits=visits, actions=[a for acts in actions for a in acts], daily=DAILY)
    add_page_report(path, "2025-03-10", [("/", 50), ("/student", 40)])
    db.use_database(path)
    yield path
    db.use_database(None)


def test_the_helper_builds_matomo_like_visits():
    row, actions = VISITS[1]
    assert (row["nb_pageviews"], row["nb_actions"], row["duration_s"]) == (3, 4, 260)
    assert [a["action_type"] for a in actions] == ["action", "action", "outlink", "action"]
    assert [a.get("time_spent_s") for a in actions] == [60, 140, None, 0]


def test_raw_log_state_of_each_day(warehouse):
    states = db.query("SELECT day, raw_status FROM matomo_daily ORDER BY day")
    assert states.raw_status.tolist() == ["available", "purged", "empty", "purged"]


def test_summary_adds_purged_days_from_the_daily_report(warehouse):
    got = audience.audience_summary(MARCH).iloc[0]
    # Raw: 5 visits, 10 page views, 370 s, 2 bounces (v1, v5). Purged: 10 March 40 visits, 90 page views (page
    # report), 4 000 s, 10 bounces; 12 March 5 visits, 12 actions (no page report), 300 s, 1 bounce.
    assert (got.visits, got.pageviews, got.purged_days, got.report_visits) == (50, 112, 2, 45)
    assert got.pages_per_visit == pytest.approx(112 / 50)
    assert got.avg_duration_s == pytest.approx(4670 / 50)
    assert got.bounce_rate == pytest.approx(13 / 50)


def test_summary_under_a_department_filter_leaves_purged_days_out(warehouse):
    got = audience.audience_summary(Filters(MARCH.start, MARCH.end, departements=("75",))).iloc[0]
    assert (got.visits, got.pageviews, got.purged_days, got.report_visits) == (2, 6, 2, 0)     # v2, v3
    assert got.bounce_rate == 0 and got.avg_duration_s == pytest.approx(175)
    students = audience.audience_summary(Filters(MARCH.start, MARCH.end, audience="etudiant")).iloc[0]
    assert (students.visits, students.report_visits) == (1, 0)


def test_summary_of_an_empty_period(warehouse):
    got = audience.audience_summary(Filters(date(2025, 3, 11), date(2025, 3, 11))).iloc[0]
    assert (got.visits, got.pageviews, got.purged_days) == (0, 0, 0)
    assert pd.isna(got.pages_per_visit) and pd.isna(got.bounce_rate) and pd.isna(got.avg_duration_s)


def test_summary_with_the_previous_period_in_one_query(warehouse):
    week = Filters(date(2025, 3, 6), date(2025, 3, 12))          # previous period: 27 February – 5 March
    both = audience.summary_with_previous(week)
    # v5 and the purged 10 and 12 March (45 visits, 90 + 12 page views); before: v1–v4 (1 + 3 + 3 + 2 page views)
    assert both.visits.tolist() == [46, 4] and both.pageviews.tolist() == [103, 9]
    assert both.purged_days.tolist() == [2, 0] and both.report_visits.tolist() == [45, 0]
    assert both.purged_visits.tolist() == [45, 0]
    paris = audience.summary_with_previous(Filters(week.start, week.end, departements=("75",)))
    assert paris.visits.tolist() == [0, 2] and paris.report_visits.tolist() == [0, 0]      # v2, v3 before
    assert paris.purged_visits.tolist() == [45, 0] and paris.purged_days.tolist() == [2, 0]
    for row, f in ((0, week), (1, week.previous())):
        pd.testing.assert_frame_equal(both.iloc[[row]].drop(columns="purged_visits").reset_index(drop=True),
                                      audience.audience_summary(f))


def test_visits_over_time_mark_daily_report_visits(warehouse):
    weeks = audience.visits_over_time(MARCH, "week")
    assert [p.date() for p in weeks.periode] == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10),
                                                 date(2025, 3, 17), date(2025, 3, 24), date(2025, 3, 31)]
    assert weeks.raw_visits.tolist() == [0, 5, 0, 0, 0, 0]
    assert weeks.report_visits.tolist() == [0, 0, 45, 0, 0, 0]
    assert weeks.visits.tolist() == [0, 5, 45, 0, 0, 0] and weeks.purged_days.tolist() == [0, 0, 2, 0, 0, 0]
    assert weeks.complete.tolist() == [False, True, True, True, True, False]
    students = audience.visits_over_time(Filters(MARCH.start, MARCH.end, audience="etudiant"), "month")
    assert students.raw_visits.tolist() == [1] and students.report_visits.tolist() == [0]    # v2
    empty = audience.visits_over_time(Filters(date(2025, 3, 11), date(2025, 3, 11)), "day")
    assert empty.visits.tolist() == [0] and empty.purged_days.tolist() == [0]
    scoped = audience.visits_over_time(Filters(MARCH.start, MARCH.end, departements=("75",)), "month")
    assert scoped.visits.tolist() == [2] and scoped.report_visits.tolist() == [0]
    with pytest.raises(ValueError):
        audience.visits_over_time(MARCH, "year")


def test_breakdowns_of_the_raw_log(warehouse):
    devices = audience.breakdown(MARCH, "device")
    assert devices.label.tolist() == ["Ordinateur", "Smartphone", "Tablette"]
    assert devices.visits.tolist() == [2, 2, 1] and devices.share.tolist() == pytest.approx([0.4, 0.4, 0.2])
    assert devices.bounce_rate.tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert devices.ds_rate.tolist() == pytest.approx([0.0, 0.5, 0.0])                    # v2 clicked to DS
    sources = audience.breakdown(MARCH, "referrer_type")
    assert dict(zip(sources.label, sources.visits, strict=True)) == {
        "Accès direct": 2, "Moteurs de recherche": 1, "Sites web": 1, "Réseaux sociaux": 1}
    referrers = audience.breakdown(MARCH, "referrer")
    assert referrers.label.tolist() == ["Google", "LinkedIn", "www.service-public.fr"]   # direct left out
    assert referrers.share.sum() == pytest.approx(1.0)
    regions = dict(zip(audience.breakdown(MARCH, "region").label, audience.breakdown(MARCH, "region").visits,
                       strict=True))
    assert regions == {"Île-de-France": 2, "Nouvelle-Aquitaine": 1, "France, région inconnue": 1,
                       "Hors de France": 1}
    publics = audience.breakdown(MARCH, "audience")
    assert dict(zip(publics.label, publics.visits, strict=True)) == {"Étudiants": 1, "Employeurs": 1,
                                                                     "Non renseigné": 3}
    with pytest.raises(ValueError):
        audience.breakdown(MARCH, "city")
    empty = audience.breakdown(Filters(date(2025, 3, 11), date(2025, 3, 11)), "device")       # no raw visit
    assert empty.empty and list(empty.columns) == ["key", "label", "visits", "share", "bounce_rate", "ds_rate"]


def test_weekday_hour_grid(warehouse):
    grid = audience.weekday_hour(MARCH)
    assert len(grid) == 7 * 24 and grid.visits.sum() == 5
    cells = {(r.weekday, r.hour): r.visits for r in grid.itertuples() if r.visits}
    assert cells == {(1, 10): 1, (1, 11): 1, (2, 9): 1, (3, 14): 1, (4, 15): 1}
    assert grid.day.iloc[0] == "lundi" and grid.day.iloc[-1] == "dimanche"
    assert (grid.weekday.dtype, grid.hour.dtype, grid.visits.dtype) == ("int32", "int32", "int64")
    empty = audience.weekday_hour(Filters(date(2025, 3, 10), date(2025, 3, 12)))            # purged and empty days
    assert len(empty) == 7 * 24 and empty.visits.sum() == 0 and empty.visits.dtype == "int64"


def test_labels_shared_with_the_journey_metrics(warehouse):
    got = db.query(f"SELECT {audience.device_label_sql('d')} AS device, {audience.audience_label_sql('a')} AS public "
                   "FROM (VALUES ('tablet', NULL), (NULL, 'employeur')) t(d, a)")
    assert got.values.tolist() == [["Tablette", "Public non déterminé"], ["Non renseigné", "Employeurs"]]
