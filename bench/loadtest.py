"""``make loadtest``: concurrent logged-in sessions against gunicorn while ``python -m etl all`` publishes.

Matomo and DS are replayed on 127.0.0.1 (``tests/live_sources.py``); a first ``etl all`` builds a small
warehouse, gunicorn serves it (several workers and threads), ``sessions`` threads each log in through the
login form and loop over ``/_dash-layout``, ``/_dash-dependencies`` and real page callbacks, while
``etl all`` runs ``publishes`` more times. Every answer that is not an HTTP 200 (or a callback answer
without data), and every exception, is an error; after the last publish every worker must serve the new
figures (each publish adds a dossier). Usage::

    python -m bench.loadtest [--sessions 50] [--publishes 3] [--workers 3] [--threads 8]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from bench.pages import split_output
from metrics import db, meta
from metrics.filters import Filters, default_period
from tests import ds_replay
from tests.browser import REPO, TEST_LOGIN, TEST_PASSWORD, run_app
from tests.live_sources import LiveSources

# Callbacks exercised (first output "id.property" → values of their inputs by "id.property"); the filters are added
# at run time. A callback is found by its first output, so merging outputs into it keeps the load test valid.
CALLBACKS = {
    "home-kpis.children": {"home-unit.value": "working"},
    "delais-kpis.children": {"delais-unite.value": "working", "delais-cohorte.value": "decision"},
    "audience-kpis.children": {},
    "stats-kpis.children": {"stats-load.data": "public"},
}
STATS = "stats-kpis.children"
ETL_TIMEOUT_S = 300


@dataclass
class Result:
    """What the load test saw."""

    sessions: int
    workers: int
    threads: int
    publishes: int = 0
    requests: Counter = field(default_factory=Counter)        # per kind of request
    errors: Counter = field(default_factory=Counter)          # per kind of error
    seconds: float = 0.0
    server_tracebacks: int = 0
    stale_answers: int = -1        # answers after the last publish still showing the first warehouse's figures

    def summary(self) -> str:
        total, errors = sum(self.requests.values()), sum(self.errors.values())
        lines = [f"{self.sessions} sessions connectées, gunicorn {self.workers} workers × {self.threads} threads, "
                 f"{self.publishes} publications de l'entrepôt pendant la charge, {self.seconds:.1f} s",
                 f"requêtes servies : {total} ({total / max(self.seconds, 1e-9):.0f}/s) — erreurs : {errors}, "
                 f"traces d'erreur du serveur : {self.server_tracebacks}, "
                 f"réponses périmées après la dernière publication : {self.stale_answers}"]
        lines += [f"  {kind:<28} {n:>7}" for kind, n in sorted(self.requests.items())]
        lines += [f"  erreur {kind:<21} {n:>7}" for kind, n in sorted(self.errors.items())]
        return "\n".join(lines)


def etl_all(env: dict) -> None:
    """One refresh; it must succeed."""
    done = subprocess.run([sys.executable, "-m", "etl", "all", "--quiet"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=ETL_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"etl all a échoué : {done.stderr.strip()}")


def new_dossier(sources: LiveSources, number: int) -> None:
    """A dossier appears in DS, so the next publish changes the public key figures."""
    modified = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(minutes=5)).isoformat(timespec="seconds")
    sources.ds.dossiers[11].append(ds_replay.make_dossier(number, state="accepte", modified=modified))


def public_figures(base_url: str, bodies: dict) -> str:
    """The public key figures as one request to the app computes them (a fresh connection: any worker)."""
    return requests.post(base_url + "/_dash-update-component", json=bodies[STATS], timeout=120).text


def callback_bodies(base_url: str, store: dict) -> dict[str, dict]:
    """The bodies the Dash client would post for ``CALLBACKS``, from the app's own callback list."""
    dependencies = {d["output"].strip(".").split("...")[0]: d
                    for d in requests.get(base_url + "/_dash-dependencies", timeout=60).json()}
    bodies = {}
    for first, values in CALLBACKS.items():
        spec = dependencies[first]
        mounts = {f"{i['id']}.id": i["id"] for i in spec["inputs"] if i["property"] == "id"}   # mount inputs
        values = {"filters.data": store, **mounts, **values}
        bodies[first] = {"output": spec["output"], "outputs": split_output(spec["output"]), "changedPropIds": [],
                       "inputs": [{**i, "value": values[f"{i['id']}.{i['property']}"]} for i in spec["inputs"]],
                       "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in spec["state"]]}
    return bodies


def session_loop(base_url: str, bodies: dict, logged_in: threading.Barrier, stop: threading.Event,
                 result: Result, lock: threading.Lock) -> None:
    """One user: log in through the form, then page loads and callbacks until ``stop``."""
    seen, errors = Counter(), Counter()
    http = requests.Session()

    def hit(kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        seen[kind] += 1
        try:
            response = http.request(method, base_url + path, timeout=120, **kwargs)
        except requests.RequestException as exc:
            errors[f"{kind}: {exc.__class__.__name__}"] += 1
            return None
        expected = 303 if kind == "connexion" else 200
        if response.status_code != expected or (kind.startswith("rappel") and '"response"' not in response.text):
            errors[f"{kind}: HTTP {response.status_code}"] += 1
        return response

    hit("connexion", "POST", "/connexion", allow_redirects=False,
        data={"identifiant": TEST_LOGIN, "motdepasse": TEST_PASSWORD, "suivant": "/"})
    logged_in.wait()
    while not stop.is_set():
        hit("/_dash-layout", "GET", "/_dash-layout")
        hit("/_dash-dependencies", "GET", "/_dash-dependencies")
        for key, body in bodies.items():
            hit(f"rappel {key.split('.')[0]}", "POST", "/_dash-update-component", json=body)
    with lock:
        result.requests.update(seen)
        result.errors.update(errors)


def run(sessions: int = 50, publishes: int = 3, workers: int = 3, threads: int = 8) -> Result:
    """The load test (see the module docstring); returns what it counted."""
    result = Result(sessions, workers, threads)
    with tempfile.TemporaryDirectory(prefix="wif-loadtest-") as tmp, LiveSources(Path(tmp)) as sources:
        target = Path(tmp) / "wif.duckdb"
        env = {**os.environ, **sources.environment(target)}
        etl_all(env)
        db.use_database(target)
        try:
            store = Filters(*default_period(meta.freshness().data_end)).to_store()
        finally:
            db.use_database(None)
        with run_app(target, Path(tmp), workers=workers, threads=threads) as server:
            bodies = callback_bodies(server.base_url, store)
            logged_in, stop, lock = threading.Barrier(sessions + 1, timeout=300), threading.Event(), threading.Lock()
            users = [threading.Thread(target=session_loop, args=(server.base_url, bodies, logged_in, stop, result,
                                                                  lock)) for _ in range(sessions)]
            for user in users:
                user.start()
            logged_in.wait()
            first = public_figures(server.base_url, bodies)
            started = time.perf_counter()
            try:
                for number in range(publishes):
                    new_dossier(sources, 5000 + number)
                    etl_all(env)
                    result.publishes += 1
            finally:
                stop.set()
                for user in users:
                    user.join()
            result.seconds = time.perf_counter() - started
            result.stale_answers = sum(public_figures(server.base_url, bodies) == first for _ in range(4 * workers))
            result.server_tracebacks = server.log().count("Traceback")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--publishes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)    # the replayed sources' access log
    result = run(args.sessions, args.publishes, args.workers, args.threads)
    print(result.summary())
    return 0 if not result.errors and not result.server_tracebacks and not result.stale_answers else 1


if __name__ == "__main__":
    sys.exit(main())
