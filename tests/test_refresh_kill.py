"""A refresh killed at any point leaves the previous warehouse served; the next run completes.

``python -m etl all`` runs as a real subprocess against replayed Matomo and DS servers; ``WIF_ETL_HOLD``
freezes it at a checkpoint (it says so on stderr), the test SIGKILLs it there, checks the published file
is byte-for-byte the same and still served by gunicorn, then runs the refresh again.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from etl.faults import POINTS
from tests import ds_replay
from tests.browser import REPO
from tests.live_sources import LiveSources

HOLD_TIMEOUT_S = 120
STATS = "..stats-kpis.children...stats-period.children.."


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scalar(db, sql: str, params: dict | None = None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()[0][0]
    finally:
        con.close()


def etl_all(env: dict, hold: str | None = None) -> subprocess.Popen:
    extra = {"WIF_ETL_HOLD": hold} if hold else {}
    return subprocess.Popen([sys.executable, "-m", "etl", "all", "--quiet"], cwd=REPO, env={**env, **extra},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_hold(process: subprocess.Popen, point: str) -> None:
    """Block until the process prints ``etl-hold: <point>`` (the checkpoint is reached and frozen)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            assert process.poll() is None, "the ETL ended before reaching its checkpoint"
            continue
        if line.strip() == f"etl-hold: {point}":
            return
    raise AssertionError(f"checkpoint {point} not reached")


def stats_answer(server) -> str:
    """The public key figures as the running app computes them from the published warehouse."""
    import requests

    body = {"output": STATS, "outputs": [{"id": "stats-kpis", "property": "children"},
                                         {"id": "stats-period", "property": "children"}],
            "inputs": [{"id": "stats-load", "property": "data", "value": "public"}], "changedPropIds": []}
    response = requests.post(server.url("/_dash-update-component"), json=body, timeout=60)
    assert response.status_code == 200
    return response.text


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory, app_server):
    folder = tmp_path_factory.mktemp("kill")
    db = folder / "wif.duckdb"
    with LiveSources(folder) as sources:
        env = {**os.environ, **sources.environment(db)}
        first = etl_all(env)
        assert first.wait(HOLD_TIMEOUT_S) == 0, first.stderr.read()
        yield sources, env, db, app_server(db)


@pytest.mark.parametrize("point", POINTS)
def test_a_refresh_killed_at_a_checkpoint_leaves_the_previous_warehouse_served(refreshed, point):
    sources, env, db, server = refreshed
    before, served = digest(db), stats_answer(server)
    runs = scalar(db, "SELECT count(*) FROM etl_runs WHERE status = 'success'")
    number = 1000 + POINTS.index(point)
    modified = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(minutes=5)).isoformat(timespec="seconds")
    sources.ds.dossiers[11].append(ds_replay.make_dossier(number, state="accepte", modified=modified))

    process = etl_all(env, hold=point)
    wait_for_hold(process, point)
    assert list(db.parent.glob(f"wif.duckdb.tmp-{process.pid}*")), "the build is under way in its own file"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL

    assert digest(db) == before
    assert stats_answer(server) == served
    assert list(db.parent.glob(f"wif.duckdb.tmp-{process.pid}*")), "a killed run leaves its build behind"

    again = etl_all(env)
    assert again.wait(HOLD_TIMEOUT_S) == 0, again.stderr.read()
    assert not list(db.parent.glob("wif.duckdb.tmp-*")), "the next run removes the dead run's build"
    assert scalar(db, "SELECT count(*) FROM etl_runs WHERE status = 'success'") > runs
    assert scalar(db, "SELECT count(*) FROM dossiers WHERE dossier_number = $n", {"n": number}) == 1
    assert stats_answer(server) != served
