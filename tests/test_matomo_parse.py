"""Matomo JSON → schema-shaped frames, on the real Matomo 5.3 answers and on WIF-shaped visits."""

from datetime import date, datetime

import duckdb
import msgspec
import orjson
import pandas as pd
import pytest

from etl.matomo.parse import (
    ACTION_COLUMNS,
    DAILY_COLUMNS,
    PAGE_COLUMNS,
    VISIT_COLUMNS,
    decode_live,
    parse_page_report,
    parse_visits,
    parse_visits_summary,
)
from etl.warehouse import SCHEMA_PATH
from tests.matomo_replay import reference, wif_visit

NEW = "https://workinfrance.beta.gouv.fr"
DS = "https://www.demarches-simplifiees.fr"


def _schema_columns(table: str) -> list[str]:
    con = duckdb.connect()
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def _none(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def test_frames_use_schema_column_names():
    derived = {"audience", "departement", "entry_page", "exit_page", "reached_ds", "ds_departure_at", "seconds_to_ds",
               "journey_depth"}
    assert list(VISIT_COLUMNS) == [c for c in _schema_columns("visits") if c not in derived]
    assert list(ACTION_COLUMNS) == _schema_columns("actions")
    assert list(DAILY_COLUMNS) == [c for c in _schema_columns("matomo_daily")
                                   if c not in ("raw_status", "raw_visits", "gap")]
    assert list(PAGE_COLUMNS) == _schema_columns("matomo_pages_daily")


def test_reference_live_visits():
    records = reference("Live.getLastVisitsDetails.json")
    visits, actions = parse_visits(records, site_id=1, first_visit_key=10)
    assert list(visits.columns) == list(VISIT_COLUMNS)
    first = _none(visits).iloc[0].to_dict()
    # 1795113180 = 2026-11-19 18:33:00 UTC = 19:33 in Paris (winter time)
    assert first["started_at"] == datetime(2026, 11, 19, 19, 33)
    assert first["ended_at"] == datetime(2026, 11, 19, 19, 36, 3)
    assert first["visit_date"] == date(2026, 11, 19)
    assert (first["duration_s"], first["nb_pageviews"], first["nb_actions"]) == (184, 3, 4)
    assert (first["device_type"], first["country_code"], first["browser"], first["os"]) == (
        "tablet", "US", "Mobile Safari", "iOS")
    assert (first["referrer_type"], first["referrer_name"], first["visitor_type"]) == ("search", "Google", "new")
    assert first["region_code"] is None
    second = _none(visits).iloc[1].to_dict()
    assert (second["referrer_type"], second["referrer_name"], second["country_code"]) == ("direct", None, "GB")

    assert list(actions.columns) == list(ACTION_COLUMNS)
    assert len(actions) == 4 + 5
    v10 = _none(actions[actions.visit_key == 10])
    assert v10["position"].tolist() == [1, 2, 3, 4]
    assert v10["action_type"].tolist() == ["action", "action", "action", "event"]
    assert v10["time_spent_s"].tolist() == [69, 94, 21, None]
    assert v10["title"].tolist() == ["Home", "Apply - Step 1: About you", "Apply - Step 2: Details",
                                     "Form / validation-error"]
    assert v10["action_at"].iloc[0] == datetime(2026, 11, 19, 19, 33)
    assert v10["page_key"].tolist() == ["accueil", "autre", "autre", "autre"]


def test_goal_rows_are_not_actions():
    visits, actions = parse_visits(reference("Live.getLastVisitsDetails_conv.json"), 1, 1)
    assert "goal" not in set(actions["action_type"])
    assert visits["nb_actions"].tolist() == [6, 6]           # 5 page views + 1 event, goal dropped
    assert visits["nb_pageviews"].tolist() == [5, 5]
    assert (actions.groupby("visit_key")["position"].max() == 6).all()
    assert _none(visits)["referrer_name"].tolist() == [None, "Twitter"]   # social: network name, not t.co URL


def test_live_bytes_decode_to_the_whitelisted_fields_only():
    visit = wif_visit(4, "2020-09-14", 10, [("action", f"{NEW}/"), ("event", f"{NEW}/faq")])
    decoded = decode_live(orjson.dumps([visit]))
    record = msgspec.structs.asdict(decoded[0])
    assert set(record) == {"serverDate", "firstActionTimestamp", "lastActionTimestamp", "visitDuration",
                           "visitorType", "deviceType", "browserName", "operatingSystemName", "referrerType",
                           "referrerName", "referrerUrl", "countryCode", "regionCode", "region", "actionDetails",
                           "idVisit"}
    assert "203.0.113.77" not in repr(decoded) and "jean.dupont" not in repr(decoded)   # IP, event name
    from_bytes = parse_visits(decoded, 1, 1)
    from_dicts = parse_visits([visit], 1, 1)
    for built, expected in zip(from_bytes, from_dicts, strict=True):
        pd.testing.assert_frame_equal(built, expected)


def test_malformed_live_answers():
    visit = wif_visit(4, "2020-09-14", 10, [("action", f"{NEW}/"), ("action", f"{NEW}/faq")])
    visit["actionDetails"].insert(1, "not an action")
    broken = dict(visit, idVisit=5, actionDetails={"0": "not a list"})
    decoded = decode_live(orjson.dumps([visit, "not a visit", broken]))
    assert [len(v.actionDetails) for v in decoded] == [2, 0]
    visits, actions = parse_visits(decoded, 1, 1)
    assert visits["nb_actions"].tolist() == [2, 0] and actions["page_key"].tolist() == ["accueil", "faq"]
    with pytest.raises(ValueError, match="liste de visites attendue, reçu dict"):
        decode_live(b'{"result": "error", "message": "Mauvais jeton"}')
    with pytest.raises(ValueError, match="JSON invalide"):
        decode_live(b'[{"idVisit": 1,')


def test_summer_time_conversion():
    # 2020-09-14 10:00 Paris = 08:00 UTC (UTC+2)
    visit = wif_visit(1, "2020-09-14", 10, [("action", f"{NEW}/")])
    assert visit["firstActionTimestamp"] == 1600070400
    visits, actions = parse_visits([visit], 1, 1)
    assert visits["started_at"].iloc[0] == datetime(2020, 9, 14, 10, 0)
    assert actions["action_at"].iloc[0] == datetime(2020, 9, 14, 10, 0)


def test_numbers_as_strings_and_missing_fields():
    visit = wif_visit(7, "2020-01-06", 9, [("action", f"{NEW}/faq"), ("action", f"{NEW}/cgu")])
    visit.update(firstActionTimestamp=str(visit["firstActionTimestamp"]), visitDuration="40",
                 deviceType="Phablet", countryCode="xx")
    visit["actionDetails"][0]["timeSpent"] = "40"
    visit["actionDetails"][1]["timestamp"] = str(visit["actionDetails"][1]["timestamp"])
    del visit["actionDetails"][1]["timeSpent"]
    del visit["lastActionTimestamp"]          # falls back to the last action
    del visit["browserName"]
    visits, actions = parse_visits([visit], 1, 1)
    row = _none(visits).iloc[0]
    assert row["duration_s"] == 40 and row["device_type"] == "phablet"
    assert row["country_code"] is None        # Matomo's "xx" = unknown
    assert row["browser"] is None
    assert row["ended_at"] == datetime(2020, 1, 6, 9, 0, 40)
    assert _none(actions)["time_spent_s"].tolist() == [40, None]


def test_visit_without_any_timestamp_is_skipped_and_keys_stay_consecutive():
    records = reference("Live.getLastVisitsDetails_minimal.json") + reference("Live.getLastVisitsDetails_minTs.json")
    records.append(wif_visit(3, "2026-11-21", 9, [("action", f"{NEW}/")]))
    visits, actions = parse_visits(records, 1, 100)
    assert visits["visit_key"].tolist() == [100, 101]
    assert visits["nb_actions"].tolist() == [0, 1]
    assert actions["visit_key"].tolist() == [101]
    assert visits["visit_date"].tolist() == [date(2026, 11, 21), date(2026, 11, 21)]


def test_repeated_visit_across_pages_is_kept_once():
    early = wif_visit(5, "2020-09-14", 10, [("action", f"{NEW}/")])
    later = wif_visit(5, "2020-09-14", 10, [("action", f"{NEW}/"), ("action", f"{NEW}/faq")])
    other = wif_visit(6, "2020-09-14", 11, [("action", f"{NEW}/cgu")])
    visits, actions = parse_visits([early, other, later], 1, 1)
    assert visits["nb_actions"].tolist() == [1, 2]          # the later, more complete copy wins
    assert actions["page_key"].tolist() == ["cgu", "accueil", "faq"]


def test_wif_journey_actions():
    visit = wif_visit(1, "2020-09-14", 10, [
        ("action", f"{NEW}/"),
        ("action", f"{NEW}/student?link=ud075-apt-etudiants"),
        ("download", f"{NEW}/static/pdf/checklist-etudiant.pdf"),
        ("outlink", f"{DS}/commencer/ud075-apt-etudiants"),
    ])
    visits, actions = parse_visits([visit], 1, 1)
    rows = _none(actions)[["position", "action_type", "page_key", "departement", "audience", "ds_slug",
                           "time_spent_s", "title"]].values.tolist()
    assert rows == [
        [1, "action", "accueil", None, None, None, 40, "Work in France 1"],
        [2, "action", "etudiant", "75", "etudiant", None, 40, "Work in France 2"],
        [3, "download", "document", None, None, None, None, "Download"],
        [4, "outlink", "depart_ds", "75", "etudiant", "ud075-apt-etudiants", None, "Outlink"],
    ]
    assert (visits["nb_pageviews"].iloc[0], visits["nb_actions"].iloc[0]) == (2, 4)


def test_empty_input():
    visits, actions = parse_visits([], 1, 1)
    assert visits.empty and actions.empty
    assert list(visits.columns) == list(VISIT_COLUMNS) and list(actions.columns) == list(ACTION_COLUMNS)


# ---------------------------------------------------------------------------- VisitsSummary.get
def test_summary_multi_day_dict_with_empty_days():
    frame = parse_visits_summary(reference("VisitsSummary.get_last7.json"), 1)
    assert list(frame.columns) == list(DAILY_COLUMNS)
    assert frame["day"].tolist() == [date(2026, 11, d) for d in range(16, 23)]
    assert frame["nb_visits"].tolist() == [0, 0, 6, 6, 6, 6, 1]
    assert frame.iloc[2][["nb_actions", "nb_uniq_visitors", "bounce_count", "sum_visit_length", "max_actions"]
                         ].tolist() == [28, 6, 0, 1425, 5]


def test_summary_single_day_and_string_numbers_and_omitted_metrics():
    frame = parse_visits_summary({"nb_visits": "6", "nb_actions": "17", "bounce_count": 1}, 1, day="2026-11-21")
    row = frame.iloc[0]
    assert (row["day"], row["nb_visits"], row["nb_actions"], row["bounce_count"]) == (date(2026, 11, 21), 6, 17, 1)
    assert row["sum_visit_length"] == 0 and row["nb_uniq_visitors"] == 0 and row["max_actions"] == 0
    assert parse_visits_summary(reference("VisitsSummary.get_emptyday.json"), 1, day=date(2026, 11, 17)
                                )["nb_visits"].tolist() == [0]
    assert parse_visits_summary([], 1, day="2026-11-17")["nb_visits"].tolist() == [0]


def test_summary_rejects_ambiguous_answers():
    with pytest.raises(ValueError, match="sans date"):
        parse_visits_summary(reference("VisitsSummary.get_day.json"), 1)
    with pytest.raises(ValueError, match="plages"):
        parse_visits_summary(reference("VisitsSummary.get_previous3_week.json"), 1)


# ---------------------------------------------------------------------------- Actions page reports
def test_page_report_flat_one_day():
    frame = parse_page_report(reference("Actions.getPageUrls_flat.json"), 1, "Actions.getPageUrls", "2026-11-19")
    assert list(frame.columns) == list(PAGE_COLUMNS)
    assert set(frame["report"]) == {"pages"}
    home = frame[frame.url == "https://www.example.org/"].iloc[0]
    # entry_nb_visits and exit_nb_visits come as strings in the real answer
    assert (home["nb_visits"], home["nb_hits"], home["entry_nb_visits"], home["sum_time_spent"]) == (6, 6, 6, 546)
    assert home["page_key"] == "accueil"
    step1 = frame[frame.url.str.endswith("/apply/step-1")].iloc[0]
    assert (step1["exit_nb_visits"], step1["entry_nb_visits"]) == (1, 0)   # missing metric = 0


def test_page_report_multi_day_dict():
    frame = parse_page_report(reference("pageurls_multiperiod.json"), 1, "pages")
    assert frame["day"].tolist() == [date(2026, 11, 20), date(2026, 11, 21)]
    assert frame["nb_hits"].tolist() == [6, 6]


def test_page_report_entry_and_exit():
    entry = parse_page_report(reference("Actions.getEntryPageUrls_day_flat.json"), 1, "entry", "2026-11-19")
    assert entry[["report", "url", "entry_nb_visits"]].values.tolist() == [["entry", "https://www.example.org/", 6]]
    exit_ = parse_page_report({"2026-11-19": reference("Actions.getExitPageUrls_day_flat.json"), "2026-11-20": []},
                              1, "getExitPageUrls")
    assert exit_["exit_nb_visits"].sum() == 6 and set(exit_["day"]) == {date(2026, 11, 19)}


def test_page_report_rows_without_url():
    rows = [{"label": "Others", "nb_visits": 3, "nb_hits": 4},
            {"label": "apply", "nb_visits": 2, "idsubdatatable": 3},
            {"label": "/faq", "nb_hits": "2"}]
    frame = parse_page_report(rows, 1, "pages", date(2020, 1, 6))
    assert sorted(frame[["url", "page_key", "nb_hits"]].values.tolist()) == [
        ["(autres)", "autre", 4], ["/faq", "faq", 2]]


def test_page_report_unknown_report():
    with pytest.raises(ValueError, match="rapport inconnu"):
        parse_page_report([], 1, "Actions.getPageTitles", "2020-01-06")
