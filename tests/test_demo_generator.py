"""Demo generator: determinism, real formats, and the invariants the loaded warehouse must hold."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import orjson

from etl.demo import model
from etl.demo.generator import generate, opening_offsets, period

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "matomo-5.3"
END = date(2026, 11, 22)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first = generate(tmp_path / "a", seed=11, scale=0.01, end=END, progress=False)
    generate(tmp_path / "b", seed=11, scale=0.01, end=END, progress=False)
    generate(tmp_path / "c", seed=12, scale=0.01, end=END, progress=False)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert a != c
    assert first["start"] == "2023-11-23" and first["end"] == "2026-11-22"
    assert period(date(2024, 2, 29)) == (date(2021, 3, 1), date(2024, 2, 29))


def test_live_records_have_matomo_shape(demo_raw):
    reference = json.loads((REFERENCE / "Live.getLastVisitsDetails.json").read_text())[0]
    day_file = sorted((demo_raw / "matomo" / "live").glob("*.json"))[-1]
    records = orjson.loads(day_file.read_bytes())
    assert records and all(list(r) == list(reference) for r in records)
    types = {a["type"] for p in (demo_raw / "matomo" / "live").glob("*.json")
             for r in orjson.loads(p.read_bytes()) for a in r["actionDetails"]}
    assert types == {"action", "download", "outlink"}
    stamps = [r["firstActionTimestamp"] for r in records]
    assert stamps == sorted(stamps, reverse=True)  # newest first, as Matomo answers


def test_daily_totals_match_live_files_and_purged_days_exist(demo_raw):
    summary = orjson.loads((demo_raw / "matomo" / "VisitsSummary.get.json").read_bytes())
    live = {p.stem: orjson.loads(p.read_bytes()) for p in (demo_raw / "matomo" / "live").glob("*.json")}
    for day, visits in live.items():
        assert summary[day]["nb_visits"] == len(visits)
        assert summary[day]["nb_actions"] == sum(len(v["actionDetails"]) for v in visits)
        assert summary[day]["bounce_count"] == sum(len(v["actionDetails"]) == 1 for v in visits)
    purged = [d for d, s in summary.items() if s and d not in live]
    assert 1 <= len(purged) <= model.PURGED_DAYS[1]
    assert sum(1 for s in summary.values() if s == []) >= model.OUTAGE_DAYS[1]


def test_ds_pages_chain_cursors(demo_raw):
    for folder in (demo_raw / "ds").iterdir():
        pages = sorted(folder.glob("page-*.json"))
        flags = [orjson.loads(p.read_bytes())["data"]["demarche"]["dossiers"]["pageInfo"]["hasNextPage"]
                 for p in pages]
        assert flags == [True] * (len(pages) - 1) + [False]


def test_warehouse_invariants(demo_db, demo_raw):
    con = duckdb.connect(str(demo_db), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert q("SELECT count(*) FROM dossiers WHERE state NOT IN "
             "('en_construction','en_instruction','accepte','refuse','sans_suite')") == [(0,)]
    assert q("SELECT count(*) FROM dossiers WHERE en_instruction_at < depose_at OR traite_at < en_instruction_at") \
        == [(0,)]
    assert q("SELECT count(*) FROM dossiers "
             "WHERE (traite_at IS NULL) <> (state IN ('en_construction','en_instruction'))") == [(0,)]
    assert {s for (s,) in q("SELECT DISTINCT state FROM dossiers")} == {
        "en_construction", "en_instruction", "accepte", "refuse", "sans_suite"}
    # Raw visits equal the daily report wherever the raw log is available.
    assert q("SELECT count(*) FROM matomo_daily WHERE raw_status = 'available' AND gap <> 0") == [(0,)]
    assert q("SELECT count(*) FROM matomo_daily WHERE raw_status = 'purged'")[0][0] >= 1
    # No dossier in a department before it opened on WIF.
    start = date.fromisoformat(orjson.loads((demo_raw / "manifest.json").read_bytes())["start"])
    offsets = opening_offsets(2000)
    firsts = dict(q("SELECT departement, min(depose_at)::DATE FROM dossiers GROUP BY 1"))
    for dep, first in firsts.items():
        assert (first - start).days >= offsets[dep], dep
    assert q("SELECT count(*) FROM visits WHERE reached_ds") [0][0] > 0
