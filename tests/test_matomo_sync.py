"""Matomo sync into a real Warehouse, against the replay server; and the demo-file loader."""

import json
from datetime import date, timedelta

import duckdb
import pytest

from etl import cli
from etl.matomo.client import MatomoAuthError, MatomoClient, MatomoConfigError, MatomoUnavailableError
from etl.matomo.sync import MatomoConfig, load_matomo_files, sync_matomo
from etl.warehouse import RunRecord, Warehouse
from tests.browser import sql
from tests.matomo_replay import TOKEN, MatomoReplay, wif_day, write_matomo_dir

TABLES = ("visits", "actions", "matomo_daily", "matomo_pages_daily")
# content of each table without the surrogate keys (which a re-pull renumbers)
CONTENT = {
    "visits": "SELECT * EXCLUDE (visit_key) FROM visits ORDER BY ALL",
    "actions": "SELECT v.visit_date, v.started_at, a.* EXCLUDE (visit_key) FROM actions a "
               "JOIN visits v USING (visit_key) ORDER BY ALL",
    "matomo_daily": "SELECT * FROM matomo_daily ORDER BY ALL",
    "matomo_pages_daily": "SELECT * FROM matomo_pages_daily ORDER BY ALL",
}


@pytest.fixture
def matomo():
    with MatomoReplay() as server:
        yield server


def client_for(server, **kwargs):
    kwargs.setdefault("sleep", lambda s: None)
    return MatomoClient(server.url, TOKEN, 1, **kwargs)


def run_sync(db, client, start, end, today, **kwargs):
    """One ETL run as the CLI does it: copy, sync, finalize, record the run, publish."""
    with Warehouse(db) as wh:
        stats = sync_matomo(wh, client, start, end, progress=False, today=today, **kwargs)
        wh.finalize()
        wh.record_run(RunRecord(source="matomo", scope="1", watermark=stats["watermark"], rows=wh.row_counts()))
        wh.publish()
    return stats


def content(db) -> dict:
    return {t: sql(db, query) for t, query in CONTENT.items()}


def counts(db) -> dict:
    return {t: sql(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def days(first: str, n: int) -> list[str]:
    d0 = date.fromisoformat(first)
    return [(d0 + timedelta(days=i)).isoformat() for i in range(n)]


def serve(matomo, first: str, n_days: int, per_day: int, seed: int = 0) -> None:
    """Put ``per_day`` WIF visits on each of ``n_days`` days, with a matching daily summary."""
    for day in days(first, n_days):
        matomo.live[day] = wif_day(day, per_day, seed=seed)
        matomo.summary[day] = {"nb_visits": per_day}


# ---------------------------------------------------------------------------- real reference answers
def test_sync_reference_answers_purged_days_and_gap(matomo, tmp_path):
    matomo.load_reference()
    db = tmp_path / "wif.duckdb"
    stats = run_sync(db, client_for(matomo), date(2026, 11, 16), date(2026, 11, 22), today=date(2026, 11, 23))
    assert stats | {"requests": 0} == {
        "site_id": 1, "days": 7, "first_day": "2026-11-16", "last_day": "2026-11-22", "visits": 5, "actions": 23,
        "days_available": 3, "days_purged": 2, "days_empty": 2, "gap": 20, "requests": 0,
        "watermark": "2026-11-22"}
    assert stats["requests"] == 1                 # one bulk for the week, every day fits in a first page
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT day::VARCHAR, raw_status, nb_visits, raw_visits, gap FROM matomo_daily ORDER BY day"
                       ).fetchall() == [
        ("2026-11-16", "empty", 0, 0, 0), ("2026-11-17", "empty", 0, 0, 0), ("2026-11-18", "purged", 6, 0, 6),
        ("2026-11-19", "available", 6, 3, 3), ("2026-11-20", "available", 6, 1, 5),
        ("2026-11-21", "available", 6, 1, 5), ("2026-11-22", "purged", 1, 0, 1)]
    assert con.execute("SELECT count(*), count(DISTINCT report) FROM matomo_pages_daily").fetchone() == (12, 3)


# ---------------------------------------------------------------------------- WIF data, incremental runs
def test_sync_pages_through_days_larger_than_a_page(matomo, tmp_path):
    for i, day in enumerate(days("2020-09-07", 6)):
        matomo.live[day] = wif_day(day, [0, 3, 4, 6, 7, 1][i], first_id=100 * i + 1)
        matomo.summary[day] = {"nb_visits": len(matomo.live[day])} if matomo.live[day] else []
    db = tmp_path / "wif.duckdb"
    stats = run_sync(db, client_for(matomo, page_size=3), date(2020, 9, 7), date(2020, 9, 12),
                     today=date(2020, 10, 1), chunk_days=4)
    assert stats["visits"] == 21 and stats["gap"] == 0 and stats["days_empty"] == 1
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT visit_date::VARCHAR, count(*) FROM visits GROUP BY 1 ORDER BY 1").fetchall() == [
        ("2020-09-08", 3), ("2020-09-09", 4), ("2020-09-10", 6), ("2020-09-11", 7), ("2020-09-12", 1)]
    # the warehouse derived the journeys from the parsed actions
    assert con.execute("SELECT count(*) FROM visits WHERE reached_ds AND departement IS NOT NULL").fetchone()[0] > 0
    offsets = sorted((c["date"], int(c["filter_offset"])) for c in matomo.calls("Live.getLastVisitsDetails"))
    assert ("2020-09-10", 6) in offsets and ("2020-09-11", 6) in offsets and ("2020-09-12", 3) not in offsets


def test_second_run_changes_nothing_and_repulls_only_the_last_days(matomo, tmp_path):
    serve(matomo, "2020-09-01", 14, 4)
    db = tmp_path / "wif.duckdb"
    today = date(2020, 9, 14)
    first = run_sync(db, client_for(matomo), date(2020, 9, 1), today, today=today)
    assert first["watermark"] == "2020-09-13" and first["days"] == 14
    before, rows_before = content(db), counts(db)
    matomo.requests.clear()

    second = run_sync(db, client_for(matomo), date(2020, 9, 1), today, today=today)
    assert content(db) == before and counts(db) == rows_before
    # watermark 13 → re-pull 12 and 13 (Matomo may re-archive them) and today
    assert (second["first_day"], second["last_day"], second["days"]) == ("2020-09-12", "2020-09-14", 3)
    assert sorted({c["date"] for c in matomo.calls("Live.getLastVisitsDetails")}) == [
        "2020-09-12", "2020-09-13", "2020-09-14"]
    con = duckdb.connect(str(db), read_only=True)
    assert [r[0] for r in con.execute("SELECT watermark FROM etl_runs ORDER BY finished_at").fetchall()] == [
        "2020-09-13", "2020-09-13"]


def test_late_data_and_new_days_are_picked_up(matomo, tmp_path):
    serve(matomo, "2020-09-01", 5, 2)
    db = tmp_path / "wif.duckdb"
    run_sync(db, client_for(matomo), date(2020, 9, 1), date(2020, 9, 5), today=date(2020, 9, 5))
    # Matomo got late visits for the 4th (the watermark day) and new days arrived
    serve(matomo, "2020-09-04", 1, 5, seed=1)
    serve(matomo, "2020-09-06", 3, 3)
    stats = run_sync(db, client_for(matomo), date(2020, 9, 1), date(2020, 9, 8), today=date(2020, 9, 8))
    assert stats["first_day"] == "2020-09-03" and stats["watermark"] == "2020-09-07"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT visit_date::VARCHAR, count(*) FROM visits GROUP BY 1 ORDER BY 1").fetchall() == [
        ("2020-09-01", 2), ("2020-09-02", 2), ("2020-09-03", 2), ("2020-09-04", 5), ("2020-09-05", 2),
        ("2020-09-06", 3), ("2020-09-07", 3), ("2020-09-08", 3)]
    assert con.execute("SELECT count(*) FROM actions WHERE visit_key NOT IN (SELECT visit_key FROM visits)"
                       ).fetchone()[0] == 0
    assert con.execute("SELECT count(*) = count(DISTINCT visit_key) FROM visits").fetchone()[0]


def test_failed_run_publishes_nothing_and_the_next_run_resumes(matomo, tmp_path):
    serve(matomo, "2020-09-01", 10, 3)
    db = tmp_path / "wif.duckdb"
    run_sync(db, client_for(matomo), date(2020, 9, 1), date(2020, 9, 3), today=date(2020, 9, 4))
    published = content(db)
    # next run: Matomo goes down (503) after the first chunk of the run was loaded into the copy
    client = client_for(matomo, max_retries=2)
    original = client.fetch_range

    def fetch_range(chunk):
        if chunk[0] > date(2020, 9, 5):
            matomo.fail_next(503, times=10)
        return original(chunk)

    client.fetch_range = fetch_range
    with pytest.raises(MatomoUnavailableError):
        run_sync(db, client, date(2020, 9, 1), date(2020, 9, 10), today=date(2020, 9, 11), chunk_days=3)
    assert content(db) == published                       # the half-loaded copy was thrown away
    assert not list(tmp_path.glob("wif.duckdb.tmp-*"))
    matomo.faults.clear()
    stats = run_sync(db, client_for(matomo), date(2020, 9, 1), date(2020, 9, 10), today=date(2020, 9, 11))
    assert stats["first_day"] == "2020-09-02" and stats["watermark"] == "2020-09-10"
    assert counts(db)["visits"] == 30


def test_first_run_needs_a_start_day(matomo, tmp_path):
    with Warehouse(tmp_path / "wif.duckdb") as wh, pytest.raises(MatomoConfigError, match="MATOMO_START"):
        sync_matomo(wh, client_for(matomo), None, date(2020, 9, 1), progress=False)


def test_auth_error_stops_the_run_at_once(matomo, tmp_path):
    client = MatomoClient(matomo.url, "wrong-token", 1, sleep=lambda s: None)
    with Warehouse(tmp_path / "wif.duckdb") as wh, pytest.raises(MatomoAuthError):
        sync_matomo(wh, client, date(2020, 9, 1), date(2020, 9, 30), progress=False, today=date(2020, 10, 1))
    assert len(matomo.requests) == 1


# ---------------------------------------------------------------------------- demo files, same parsers
def test_demo_files_load_like_the_live_sync(matomo, tmp_path):
    live = {day: wif_day(day, n) for day, n in zip(days("2020-09-01", 6), [5, 0, 3, 8, 1, 2], strict=True)}
    live = {d: v for d, v in live.items() if v}
    raw = write_matomo_dir(tmp_path / "raw", live, purged={"2020-08-31": 7}, empty=["2020-09-02"])
    from_files = tmp_path / "files.duckdb"
    with Warehouse(from_files, incremental=False) as wh:
        stats = load_matomo_files(wh, raw, site_id=1, progress=False)
        wh.finalize()
        wh.publish()
    assert stats == {"site_id": 1, "days": 7, "first_day": "2020-08-31", "last_day": "2020-09-06", "visits": 19,
                     "actions": stats["actions"], "days_available": 5, "days_purged": 1, "days_empty": 1, "gap": 7}

    matomo.load_dir(raw)
    from_api = tmp_path / "api.duckdb"
    run_sync(from_api, client_for(matomo, page_size=4), date(2020, 8, 31), date(2020, 9, 6),
             today=date(2020, 9, 30))
    assert content(from_files) == content(from_api)
    con = duckdb.connect(str(from_files), read_only=True)
    assert con.execute("SELECT raw_status, count(*) FROM matomo_daily GROUP BY 1 ORDER BY 1").fetchall() == [
        ("available", 5), ("empty", 1), ("purged", 1)]
    assert con.execute("SELECT sum(nb_visits) FROM matomo_daily").fetchone()[0] == 19 + 7


def test_demo_files_parsed_in_worker_processes_load_the_same(tmp_path):
    live = {day: wif_day(day, 4) for day in days("2020-09-01", 5)}
    raw = write_matomo_dir(tmp_path / "raw", live)
    results = []
    for workers in (1, 2):
        target = tmp_path / f"w{workers}.duckdb"
        with Warehouse(target, incremental=False) as wh:
            load_matomo_files(wh, raw, site_id=1, progress=False, workers=workers)
            wh.finalize()
            wh.publish()
        results.append(content(target))
        assert counts(target)["visits"] == 20
    assert results[0] == results[1]


def test_generated_demo_payloads_replayed_through_the_api(demo_raw, tmp_path):
    """The demo generator's Matomo files, served by the replay server, sync to the very rows the demo loader
    builds from the files: one code path for demo and live data."""
    manifest = json.loads((demo_raw / "manifest.json").read_text(encoding="utf-8"))
    start, end = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
    from_files = tmp_path / "files.duckdb"
    with Warehouse(from_files, incremental=False) as wh:
        file_stats = load_matomo_files(wh, demo_raw / "matomo", manifest["site_id"], progress=False)
        wh.finalize()
        wh.publish()
    with MatomoReplay(site_id=manifest["site_id"]) as server:
        server.load_dir(demo_raw / "matomo")
        client = MatomoClient(server.url, TOKEN, manifest["site_id"], sleep=lambda s: None, page_size=50)
        api_stats = run_sync(tmp_path / "api.duckdb", client, start, end, today=end + timedelta(days=1),
                             chunk_days=31)
    assert file_stats["visits"] == manifest["visits"] > 0
    assert {k: api_stats[k] for k in file_stats} == file_stats
    assert content(from_files) == content(tmp_path / "api.duckdb")


def test_demo_loader_reports_missing_files(tmp_path):
    with Warehouse(tmp_path / "wif.duckdb") as wh, pytest.raises(FileNotFoundError, match="VisitsSummary"):
        load_matomo_files(wh, tmp_path / "nothing", 1, progress=False)


# ---------------------------------------------------------------------------- configuration
def test_config_from_env():
    config = MatomoConfig.from_env({"MATOMO_URL": "https://stats.example.fr", "MATOMO_SITE_ID": "46",
                                    "MATOMO_TOKEN": TOKEN, "MATOMO_START": "2018-02-01"})
    assert (config.url, config.site_id, config.start) == ("https://stats.example.fr", 46, date(2018, 2, 1))
    assert TOKEN not in repr(config)
    assert MatomoConfig.from_env({"MATOMO_URL": "u", "MATOMO_SITE_ID": "1", "MATOMO_TOKEN": "t"}).start is None


@pytest.mark.parametrize(("env", "message"), [
    ({}, "MATOMO_URL, MATOMO_SITE_ID, MATOMO_TOKEN"),
    ({"MATOMO_URL": "u", "MATOMO_SITE_ID": "1"}, "manquante.*MATOMO_TOKEN"),
    ({"MATOMO_URL": "u", "MATOMO_SITE_ID": "abc", "MATOMO_TOKEN": "t"}, "MATOMO_SITE_ID"),
    ({"MATOMO_URL": "u", "MATOMO_SITE_ID": "1", "MATOMO_TOKEN": "t", "MATOMO_START": "01/02/2018"}, "MATOMO_START"),
])
def test_config_errors(env, message):
    with pytest.raises(MatomoConfigError, match=message):
        MatomoConfig.from_env(env)


# ---------------------------------------------------------------------------- the command line
def test_cli_matomo_twice_then_with_a_bad_token(matomo, tmp_path, monkeypatch, capsys):
    today = date.today()
    serve(matomo, (today - timedelta(days=9)).isoformat(), 10, 3)
    db = tmp_path / "wif.duckdb"
    monkeypatch.setenv("MATOMO_URL", matomo.url)
    monkeypatch.setenv("MATOMO_SITE_ID", "1")
    monkeypatch.setenv("MATOMO_TOKEN", TOKEN)
    monkeypatch.setenv("MATOMO_START", (today - timedelta(days=9)).isoformat())

    assert cli.main(["matomo", "--db", str(db), "--quiet"]) == 0
    first_out = capsys.readouterr().out
    assert "visits" in first_out and "days_purged" in first_out
    rows_first = counts(db)
    assert rows_first["visits"] == 30

    assert cli.main(["matomo", "--db", str(db), "--quiet"]) == 0
    assert counts(db) == rows_first
    before = content(db)

    monkeypatch.setenv("MATOMO_TOKEN", "not-the-token")
    assert cli.main(["matomo", "--db", str(db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MATOMO_TOKEN" in err and "not-the-token" not in err
    assert content(db) == before                               # the previous warehouse keeps serving
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT status FROM etl_runs WHERE source = 'matomo' ORDER BY finished_at").fetchall() == [
        ("success",), ("success",), ("failed",)]
