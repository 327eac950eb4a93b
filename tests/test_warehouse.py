"""Warehouse builder: schema, derived columns, atomic publish."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from etl.warehouse import BREAKDOWN_KEYS, DURATION_COLUMNS, SCHEMA_VERSION, TABLES, RunRecord, Warehouse, create_schema
from metrics import audience
from tests.factories import action, dossier, make_warehouse, visit


def test_derived_visit_columns(tmp_path):
    db = make_warehouse(
        tmp_path,
        visits=[visit(1, day="2024-03-04", started_at="2024-03-04 10:00:00", duration_s=300),
                visit(2, day="2024-03-04", started_at="2024-03-04 11:00:00")],
        actions=[
            action(1, 1, at="2024-03-04 10:00:00", page_key="accueil"),
            action(1, 2, at="2024-03-04 10:01:00", page_key="etudiant", audience="etudiant", departement="75"),
            action(1, 3, at="2024-03-04 10:04:00", page_key="depart_ds", action_type="outlink",
                   departement="75", ds_slug="ud75-apt-etudiants"),
            action(1, 4, at="2024-03-04 10:05:00", page_key="faq"),
            action(2, 1, at="2024-03-04 11:00:00", page_key="faq"),
        ],
        daily=[{"site_id": 1, "day": "2024-03-04", "nb_visits": 3, "nb_actions": 6, "bounce_count": 1,
                "sum_visit_length": 300},
               {"site_id": 1, "day": "2024-03-05", "nb_visits": 2, "nb_actions": 2, "bounce_count": 2,
                "sum_visit_length": 0},
               {"site_id": 1, "day": "2024-03-06", "nb_visits": 0, "nb_actions": 0, "bounce_count": 0,
                "sum_visit_length": 0}],
    )
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT visit_key, entry_page, exit_page, audience, departement, reached_ds, seconds_to_ds "
        "FROM visits ORDER BY visit_key").fetchall()
    assert rows == [(1, "accueil", "faq", "etudiant", "75", True, 240),
                    (2, "faq", "faq", None, None, False, None)]
    daily = con.execute("SELECT day::VARCHAR, raw_status, raw_visits, gap FROM matomo_daily ORDER BY day").fetchall()
    assert daily == [("2024-03-04", "available", 2, 1), ("2024-03-05", "purged", 0, 2),
                     ("2024-03-06", "empty", 0, 0)]
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert (meta["data_start"], meta["data_end"]) == ("2024-03-04", "2024-03-05")


# The funnel depth as the metrics computed it from the raw actions before the ETL stored it.
RAW_DEPTH = """
    SELECT v.visit_key,
           CASE WHEN v.reached_ds THEN 3 WHEN bool_or(p.role = 'checklist') THEN 2
                WHEN bool_or(a.page_key = 'accueil') THEN 1 ELSE 0 END AS depth
    FROM visits v
    LEFT JOIN actions a ON a.visit_key = v.visit_key AND a.action_type = 'action'
    LEFT JOIN ref_pages p ON p.page_key = a.page_key
    GROUP BY v.visit_key, v.reached_ds ORDER BY v.visit_key
"""


def test_journey_depth_is_the_deepest_funnel_step_of_the_raw_actions(tmp_path):
    day, at = "2024-03-04", "2024-03-04 10:00:00"
    db = make_warehouse(
        tmp_path,
        visits=[visit(k, day=day, started_at=at) for k in range(1, 7)],
        actions=[
            action(1, 1, at=at, page_key="faq"),                                   # no funnel page → 0
            action(2, 1, at=at, page_key="accueil"),                               # home page → 1
            action(3, 1, at=at, page_key="employeur"), action(3, 2, at=at, page_key="faq"),   # checklist → 2
            action(4, 1, at=at, page_key="accueil"),                               # DS departure → 3
            action(4, 2, at=at, page_key="depart_ds", action_type="outlink"),
            action(5, 1, at=at, page_key="accueil", action_type="event"),          # not a page view → 0
            # visit 6 has no action → 0
        ],
    )
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT visit_key, journey_depth FROM visits ORDER BY visit_key").fetchall()
    assert stored == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 0), (6, 0)]
    assert stored == con.execute(RAW_DEPTH).fetchall()


def test_incremental_run_derives_the_visits_of_the_replaced_days_only(tmp_path):
    day1, day2 = "2024-03-04", "2024-03-05"
    db = make_warehouse(
        tmp_path,
        visits=[visit(1, day=day1, started_at=f"{day1} 10:00:00"), visit(2, day=day2, started_at=f"{day2} 10:00:00")],
        actions=[action(1, 1, at=f"{day1} 10:00:00", page_key="accueil"),
                 action(2, 1, at=f"{day2} 10:00:00", page_key="faq")],
    )
    con = duckdb.connect(str(db))                 # a derived column of day 1 tampered with: left as it is
    con.execute("UPDATE visits SET exit_page = 'cgu' WHERE visit_key = 1")
    con.close()
    replaced = pd.DataFrame([visit(3, day=day2, started_at=f"{day2} 11:00:00")]).astype(
        {"visit_date": "datetime64[ns]", "started_at": "datetime64[ns]", "ended_at": "datetime64[ns]"})
    actions = pd.DataFrame([action(3, 1, at=f"{day2} 11:00:00", page_key="employeur"),
                            action(3, 2, at=f"{day2} 11:02:00", page_key="depart_ds", action_type="outlink")]
                           ).astype({"action_at": "datetime64[ns]"})
    with Warehouse(db) as wh:
        wh.replace_matomo_days(1, [pd.Timestamp(day2).date()], visits=replaced, actions=actions)
        wh.finalize()
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT visit_key, exit_page, reached_ds, journey_depth FROM visits ORDER BY 1").fetchall()
    assert rows == [(1, "cgu", False, 1), (3, "employeur", True, 3)]      # day 2 re-derived, day 1 untouched
    views = con.execute("SELECT CAST(visit_date AS VARCHAR), page_key, visits, pageviews, ds_after "
                        "FROM page_views_daily ORDER BY 1, 2").fetchall()
    assert views == [(day1, "accueil", 1, 1, 0), (day2, "employeur", 1, 1, 1)]   # the replaced day's views only
    assert con.execute("SELECT visit_key, path FROM visit_paths JOIN paths USING (path_id) ORDER BY 1").fetchall() == [
        (1, ["accueil", "sortie"]), (3, ["employeur", "depart_ds"])]          # visit 2's path went with it
    assert con.execute("SELECT visit_key, CAST(p.visit_date AS VARCHAR), p.departement, p.audience FROM visit_paths p "
                       "ORDER BY 1").fetchall() == con.execute(
        "SELECT visit_key, CAST(visit_date AS VARCHAR), departement, audience FROM visits ORDER BY 1").fetchall()
    assert con.execute("SELECT path_id, path FROM paths ORDER BY 1").fetchall() == [   # a new path, a new id
        (1, ["accueil", "sortie"]), (2, ["faq", "sortie"]), (3, ["employeur", "depart_ds"])]
    assert con.execute("SELECT CAST(visit_date AS VARCHAR), path_id, visits FROM visit_paths_daily "
                       "ORDER BY 1").fetchall() == [(day1, 1, 1), (day2, 3, 1)]   # day 2 recounted
    assert con.execute("SELECT CAST(visit_date AS VARCHAR), entry_page, exit_page, reached_ds, journey_depth, visits "
                       "FROM visits_daily ORDER BY 1").fetchall() == [
        (day1, "accueil", "accueil", False, 1, 1),             # day 1 not recounted (the tampered exit is not in it)
        (day2, "employeur", "employeur", True, 3, 1)]
    assert con.execute("SELECT CAST(visit_date AS VARCHAR), weekday, hour, visits FROM visits_hourly "
                       "ORDER BY 1").fetchall() == [(day1, 1, 10, 1), (day2, 2, 11, 1)]    # visit 3, not visit 2
    assert con.execute("SELECT CAST(visit_date AS VARCHAR), seconds_to_ds FROM ds_departures").fetchall() == [
        (day2, 120)]


def test_visits_daily_counts_the_visits_per_day_and_journey_columns(tmp_path):
    day = "2024-03-04"
    db = make_warehouse(
        tmp_path,
        visits=[visit(k, day=day, started_at=f"{day} 1{k}:00:00", device_type=device)
                for k, device in ((1, "desktop"), (2, "desktop"), (3, "smartphone"))],
        actions=[action(k, 1, at=f"{day} 1{k}:00:00", page_key="accueil", departement="75") for k in (1, 2, 3)])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT departement, device_type, entry_page, exit_page, reached_ds, journey_depth, visits "
                       "FROM visits_daily ORDER BY 2").fetchall() == [
        ("75", "desktop", "accueil", "accueil", False, 1, 2), ("75", "smartphone", "accueil", "accueil", False, 1, 1)]
    assert con.execute("SELECT CAST(visit_date AS VARCHAR), departement, audience, path, visits FROM visit_paths_daily "
                       "JOIN paths USING (path_id)").fetchall() == [(day, "75", None, ["accueil", "sortie"], 3)]


def test_visit_breakdowns_daily_counts_each_breakdown_of_the_visits(tmp_path):
    day = "2024-03-04"
    db = make_warehouse(
        tmp_path,
        visits=[visit(1, day=day, started_at=f"{day} 11:00:00", device_type="desktop", nb_actions=1,
                      nb_pageviews=1, referrer_type="direct", referrer_name=None, country_code="FR",
                      region_code="11", region_name="Île-de-France"),
                visit(2, day=day, started_at=f"{day} 12:00:00", duration_s=90, device_type="desktop", nb_actions=3,
                      nb_pageviews=2, referrer_type="search", referrer_name="Google", country_code="MA",
                      region_code=None)],
        actions=[action(k, 1, at=f"{day} 1{k}:00:00", page_key="accueil", departement="75") for k in (1, 2)])
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT breakdown, key, region_name, visits, bounces, ds, pageviews, duration "
                       "FROM visit_breakdowns_daily WHERE breakdown IN ('device', 'referrer', 'region') "
                       "ORDER BY ALL").fetchall()
    assert rows == [("device", "desktop", None, 2, 1, 0, 3, 90), ("referrer", "Google", None, 1, 0, 0, 2, 90),
                    ("region", "11", "Île-de-France", 1, 1, 0, 1, 0), ("region", "hors_france", None, 1, 0, 0, 2, 90)]
    assert set(BREAKDOWN_KEYS) == set(audience.BREAKDOWNS)
    assert con.execute("SELECT DISTINCT breakdown FROM visit_breakdowns_daily ORDER BY 1").fetchall() == \
        [(name,) for name in sorted(BREAKDOWN_KEYS)]


def test_dossier_durations_in_calendar_and_working_days(tmp_path):
    # Fri 3 May 2024 → Mon 6 (instruction) → Mon 13: working days 6, 7, 10, 13 May (8 and 9 May are holidays).
    db = make_warehouse(tmp_path, dossiers=[
        dossier(1, state="accepte", depose_at="2024-05-03 09:00", en_instruction_at="2024-05-06 10:00",
                traite_at="2024-05-13 16:00"),
        dossier(2, state="refuse", depose_at="2024-05-03 09:00", en_instruction_at="2024-05-02 10:00",
                traite_at="2024-05-03 16:00"),                  # instruction before deposit: no stage split
        dossier(3, state="en_construction", depose_at="2024-05-03 09:00")])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(f"SELECT dossier_number, {', '.join(DURATION_COLUMNS)} FROM dossiers ORDER BY 1").fetchall() \
        == [(1, 10, 4, 3, 1, 7, 3), (2, 0, 0, None, None, None, None), (3, None, None, None, None, None, None)]


def test_incremental_run_derives_the_durations_of_the_upserted_dossiers_only(tmp_path):
    db = make_warehouse(tmp_path, dossiers=[
        dossier(n, state="accepte", depose_at="2024-05-03 09:00", traite_at="2024-05-06 09:00") for n in (1, 2)])
    con = duckdb.connect(str(db))                 # a derived duration of dossier 2 tampered with: left as it is
    con.execute("UPDATE dossiers SET total_calendar = 99 WHERE dossier_number = 2")
    con.close()
    with Warehouse(db) as wh:                     # dossier 1 decided a week later; its stale durations come along
        wh.upsert_dossiers(wh.con.execute("SELECT * REPLACE (TIMESTAMP '2024-05-13 09:00' AS traite_at) "
                                          "FROM dossiers WHERE dossier_number = 1").df())
        wh.finalize()
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT dossier_number, total_calendar, total_working FROM dossiers ORDER BY 1").fetchall() \
        == [(1, 10, 4), (2, 99, 1)]


def test_decisions_daily_counts_the_decisions_per_day_and_follows_upserts(tmp_path):
    db = make_warehouse(tmp_path, dossiers=[
        dossier(1, state="accepte", depose_at="2024-05-03 09:00", traite_at="2024-05-06 09:00"),
        dossier(2, state="refuse", depose_at="2024-05-03 09:00", traite_at="2024-05-06 23:59"),
        dossier(3, state="sans_suite", depose_at="2024-05-03 09:00", traite_at="2024-05-07 00:00"),
        dossier(4, state="accepte", depose_at="2024-05-03 09:00", traite_at="2024-05-06 10:00",
                contract_category="cdd"),
        dossier(5, state="en_instruction", depose_at="2024-05-03 09:00")])        # open: not counted

    def rows():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("SELECT CAST(day AS VARCHAR), contract_category, acceptes, refuses, sans_suite "
                               "FROM decisions_daily ORDER BY ALL").fetchall()
        finally:
            con.close()

    assert rows() == [("2024-05-06", "apprentissage", 1, 1, 0), ("2024-05-06", "cdd", 1, 0, 0),
                      ("2024-05-07", "apprentissage", 0, 0, 1)]
    with Warehouse(db) as wh:                     # dossier 5 refused on the 7th, dossier 1 reopened
        wh.upsert_dossiers(wh.con.execute(
            "SELECT * REPLACE (CASE dossier_number WHEN 5 THEN 'refuse' ELSE 'en_instruction' END AS state, "
            "CASE dossier_number WHEN 5 THEN TIMESTAMP '2024-05-07 11:00' END AS traite_at) "
            "FROM dossiers WHERE dossier_number IN (1, 5)").df())
        wh.finalize()
        wh.publish()
    assert rows() == [("2024-05-06", "apprentissage", 0, 1, 0), ("2024-05-06", "cdd", 1, 0, 0),
                      ("2024-05-07", "apprentissage", 0, 1, 1)]


def test_decisions_daily_is_grouped_again_only_by_runs_that_change_dossiers(tmp_path):
    db = make_warehouse(tmp_path, dossiers=[
        dossier(n, state="accepte", depose_at="2024-05-03 09:00", traite_at="2024-05-06 09:00") for n in (1, 2)])
    con = duckdb.connect(str(db))                 # a tampered count shows whether a run grouped the dossiers again
    con.execute("UPDATE decisions_daily SET acceptes = 99")
    con.close()

    def acceptes():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("SELECT sum(acceptes) FROM decisions_daily").fetchall()[0][0]
        finally:
            con.close()

    with Warehouse(db) as wh:                     # no dossier loaded or deleted (a Matomo-only run): left as it is
        assert wh.delete_dossiers(1, [404]) == 0
        wh.finalize()
        wh.publish()
    assert acceptes() == 99
    with Warehouse(db) as wh:                     # dossier 2 deleted in DS: grouped again
        wh.delete_dossiers(1, [2])
        wh.finalize()
        wh.publish()
    assert acceptes() == 1


def test_ineligible_views_and_daily_counts_kept_right_by_incremental_runs(tmp_path):
    day1, day2 = "2024-03-04", "2024-03-05"
    db = make_warehouse(
        tmp_path,
        visits=[visit(1, day=day1, started_at=f"{day1} 10:00:00"), visit(2, day=day2, started_at=f"{day2} 10:00:00"),
                visit(3, day=day2, started_at=f"{day2} 11:00:00")],
        actions=[action(1, 1, at=f"{day1} 10:00:00", page_key="non_eligible", departement="23"),
                 action(1, 2, at=f"{day1} 10:01:00", page_key="non_eligible", departement="23"),   # a reload
                 action(1, 3, at=f"{day1} 10:02:00", page_key="non_eligible"),                     # no department
                 action(2, 1, at=f"{day2} 10:00:00", page_key="non_eligible", departement="48"),
                 action(3, 1, at=f"{day2} 11:00:00", page_key="accueil")],
    )
    con = duckdb.connect(str(db), read_only=True)
    query = ("SELECT visit_key, CAST(visit_date AS VARCHAR), departement, audience, page_departement "
             "FROM ineligible_views ORDER BY 1, 5 NULLS LAST")
    assert con.execute(query).fetchall() == [(1, day1, "23", None, "23"), (1, day1, "23", None, None),
                                             (2, day2, "48", None, "48")]   # with the visit's own columns
    daily = "SELECT CAST(visit_date AS VARCHAR), departement, audience, visits FROM ineligible_daily ORDER BY 1"
    assert con.execute(daily).fetchall() == [(day1, "23", None, 1), (day2, "48", None, 1)]   # visit 1 once
    con.close()
    replaced = pd.DataFrame([visit(4, day=day2, started_at=f"{day2} 12:00:00")]).astype(
        {"visit_date": "datetime64[ns]", "started_at": "datetime64[ns]", "ended_at": "datetime64[ns]"})
    actions = pd.DataFrame([action(4, 1, at=f"{day2} 12:00:00", page_key="non_eligible", departement="15")]
                           ).astype({"action_at": "datetime64[ns]"})
    with Warehouse(db) as wh:                     # day 2 replaced: visit 2 goes, visit 4 comes
        wh.replace_matomo_days(1, [pd.Timestamp(day2).date()], visits=replaced, actions=actions)
        wh.finalize()
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(query).fetchall() == [(1, day1, "23", None, "23"), (1, day1, "23", None, None),
                                             (4, day2, "15", None, "15")]
    assert con.execute(daily).fetchall() == [(day1, "23", None, 1), (day2, "15", None, 1)]   # day 2 recounted


def schema_2_warehouse(tmp_path):
    """A published warehouse as schema 2 had it: no ``visits.journey_depth``, ``visit_paths``, ``page_views_daily``,
    nor the dossier durations."""
    at = "2024-03-04 10:00:00"
    db = make_warehouse(tmp_path, visits=[visit(k, day="2024-03-04", started_at=at) for k in (1, 2)],
                        actions=[action(1, 1, at=at, page_key="accueil"),
                                 action(2, 1, at=at, page_key="employeur"),
                                 action(2, 2, at=at, page_key="depart_ds", action_type="outlink")],
                        dossiers=[dossier(1, state="accepte", depose_at="2024-05-03 09:00",
                                          traite_at="2024-05-13 09:00")])
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE visits DROP COLUMN journey_depth")
    for column in DURATION_COLUMNS:
        con.execute(f"ALTER TABLE dossiers DROP COLUMN {column}")
    for table in ("visit_paths", "paths", "ineligible_views", "ineligible_daily", "visits_daily",
                  "visit_paths_daily"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DROP TABLE page_views_daily")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    return db


def test_an_incremental_run_migrates_an_older_warehouse_and_derives_every_visit(tmp_path):
    db = schema_2_warehouse(tmp_path)
    with Warehouse(db) as wh:                     # no new data: the migration alone
        wh.finalize()
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (SCHEMA_VERSION,)
    assert con.execute("SELECT visit_key, journey_depth, path, p.audience IS NOT DISTINCT FROM v.audience "
                       "AND p.visit_date = v.visit_date FROM visits v JOIN visit_paths p USING (visit_key) "
                       "JOIN paths USING (path_id) ORDER BY 1").fetchall() == [
        (1, 1, ["accueil", "sortie"], True), (2, 3, ["employeur", "depart_ds"], True)]
    assert con.execute("SELECT page_key, visits, ds_after FROM page_views_daily ORDER BY 1").fetchall() == [
        ("accueil", 1, 0), ("employeur", 1, 1)]
    assert con.execute("SELECT total_calendar, total_working FROM dossiers").fetchall() == [(10, 4)]
    assert con.execute("SELECT count(*) FROM ineligible_views").fetchall() == [(0,)]   # created (no such view)
    assert con.execute("SELECT count(*) FROM ineligible_daily").fetchall() == [(0,)]
    assert con.execute("SELECT journey_depth, visits FROM visits_daily ORDER BY 1").fetchall() == [(1, 1), (3, 1)]
    assert con.execute("SELECT path, visits FROM visit_paths_daily JOIN paths USING (path_id) ORDER BY 1").fetchall() \
        == [(["accueil", "sortie"], 1), (["employeur", "depart_ds"], 1)]


def test_migration_13_adds_the_breakdown_sums_the_ds_departures_and_the_hourly_visits(tmp_path):
    day = "2024-03-04"
    db = make_warehouse(
        tmp_path,
        visits=[visit(1, day=day, started_at=f"{day} 10:00:00", duration_s=30, nb_pageviews=2, nb_actions=3,
                      device_type="tablet"),
                visit(2, day=day, started_at=f"{day} 11:00:00", nb_pageviews=1, nb_actions=1)],
        actions=[action(1, 1, at=f"{day} 10:00:00", page_key="accueil"),
                 action(1, 2, at=f"{day} 10:00:20", page_key="etudiant", departement="75", audience="etudiant"),
                 action(1, 3, at=f"{day} 10:00:30", page_key="depart_ds", action_type="outlink"),
                 action(2, 1, at=f"{day} 11:00:00", page_key="accueil")])
    con = duckdb.connect(str(db))                 # the warehouse as schema 13 had it
    con.execute("ALTER TABLE visit_breakdowns_daily DROP COLUMN pageviews")
    con.execute("ALTER TABLE visit_breakdowns_daily DROP COLUMN duration")
    con.execute("DROP TABLE ds_departures")
    con.execute("DROP TABLE visits_hourly")
    con.execute("UPDATE meta SET value = '13' WHERE key = 'schema_version'")
    con.close()
    with Warehouse(db) as wh:
        wh.finalize()
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT visits, pageviews, duration FROM visit_breakdowns_daily "
                       "WHERE breakdown = 'audience' ORDER BY ALL").fetchall() == [(1, 1, 0), (1, 2, 30)]
    assert con.execute("SELECT * FROM ds_departures").fetchall() == [      # visit 2 never left for DS
        (date(2024, 3, 4), "75", "etudiant", "tablet", 30)]
    assert con.execute("SELECT * FROM visits_hourly ORDER BY hour").fetchall() == [        # Monday 10:00, 11:00
        (date(2024, 3, 4), "75", "etudiant", 1, 10, 1), (date(2024, 3, 4), None, None, 1, 11, 1)]


def test_a_warehouse_no_migration_leads_from_is_left_as_published(tmp_path):
    db = schema_2_warehouse(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = db.read_bytes()
    with pytest.raises(ValueError, match="schéma 99 : aucune migration vers le schéma"):
        Warehouse(db)
    assert db.read_bytes() == before and list(tmp_path.glob("*.tmp-*")) == []


def test_the_app_refuses_a_warehouse_of_another_schema_with_a_french_message(tmp_path):
    from metrics import db as metrics_db
    from metrics import meta

    metrics_db.use_database(schema_2_warehouse(tmp_path))
    try:
        with pytest.raises(metrics_db.WarehouseOutdated, match=f"schéma 2 ; cette version lit le schéma "
                                                               f"{SCHEMA_VERSION}.*python -m etl all"):
            meta.freshness()
    finally:
        metrics_db.use_database(None)


def test_working_day_index_counts_working_days(tmp_path):
    # Friday 2024-05-03 → Monday 2024-05-13: working days after the 3rd up to the 13th are
    # 6, 7, 10 and 13 May (8 May and 9 May Ascension are holidays) = 4.
    db = make_warehouse(tmp_path, dossiers=[dossier(1, depose_at="2024-05-03 09:00")])
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute(
        "SELECT b.working_day_index - a.working_day_index FROM calendar a, calendar b "
        "WHERE a.day = DATE '2024-05-03' AND b.day = DATE '2024-05-13'").fetchone()[0]
    assert n == 4


def test_upsert_delete_and_failed_build_keeps_published_file(tmp_path):
    db = make_warehouse(tmp_path, dossiers=[dossier(1, state="en_construction"), dossier(2)])
    with Warehouse(db) as wh:
        wh.upsert_dossiers(wh.con.execute(
            "SELECT * REPLACE ('accepte' AS state) FROM dossiers WHERE dossier_number = 1").df())
        assert wh.delete_dossiers(1, [2, 99]) == 1
        wh.record_run(RunRecord(source="ds", scope="1", watermark="2024-01-01T00:00:00"))
        assert wh.last_watermark("ds", "1") == "2024-01-01T00:00:00"
        wh.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT dossier_number, state FROM dossiers").fetchall() == [(1, "accepte")]
    con.close()

    with pytest.raises(RuntimeError), Warehouse(db) as wh:
        wh.con.execute("DELETE FROM dossiers")
        raise RuntimeError("extraction interrompue")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 1
    assert not list(tmp_path.glob("*.tmp-*"))


def test_every_table_of_the_schema_is_known_to_the_loader_and_the_run_summary():
    con = duckdb.connect()
    create_schema(con)
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == TABLES      # TABLES whitelists inserts and lists the rows of every table after a run
