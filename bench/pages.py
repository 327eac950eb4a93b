"""Every registered page answered through the Flask test client, as the browser asks it.

``python -m bench.pages DB ANSWER [--page MODULE] --combos N --seed S`` runs in a fresh process with ``WIF_DB=DB``.
Without ``--page`` it lists the pages and times the app import and the shell layout (``/_dash-layout``). With it,
it finds the page's server callbacks in Dash's callback list (those whose inputs are the ``filters`` store and
components of the page's layout), POSTs them to ``/_dash-update-component`` with the layout's initial values:

* ``cold``: the default view, first request after start (empty cache, fresh DuckDB connection);
* ``warm_default``: the default view asked again (result cache hit), 5 times;
* ``filters_first``: ``combos`` random filter combinations (period, departments, audience, contracts), each
  asked for the first time (warm process, uncached queries) — what a user changing a filter waits for;
* ``filters_again``: the same combinations asked again (cache hits).

A page's time is the sum of its callbacks' times (as one worker thread would answer them). The answer also
holds the serving process's RSS (current and peak) after all requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from datetime import date, timedelta
from pathlib import Path

from bench.children import write_answer

WARM_REPEATS = 5


def _ids(layout) -> dict:
    """Component id (str or JSON of a dict id) → the component, over the whole layout tree."""
    found = {}
    for comp in [layout, *layout._traverse()]:
        cid = getattr(comp, "id", None)
        if cid is not None:
            found[json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid] = comp
    return found


def split_output(text: str) -> list[dict]:
    """A callback's output key (``..a.p...b.q..``, or ``a.p`` alone) as the ``{id, property}`` list Dash posts."""
    parts = text[2:-2].split("...") if text.startswith("..") else [text]
    return [_dep(p) for p in parts]


def _dep(text: str) -> dict:
    cid, prop = text.rsplit(".", 1)
    return {"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop}


def _key(cid) -> str:
    return json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid


def page_callbacks(dash_app, layout) -> tuple[list[dict], dict]:
    """Server callbacks of a page: inputs all in (``filters`` store + the page's components), one of them local,
    fired when the page loads (``prevent_initial_call`` ones — downloads on click — are left out).

    Read from ``dash_app._callback_list``, complete once Dash has set its server up (first request).
    """
    ids = _ids(layout)
    chosen = []
    for cb in dash_app._callback_list:
        if cb.get("clientside_function") or cb.get("prevent_initial_call"):
            continue
        inputs = [_dep(i["id"] + "." + i["property"]) if isinstance(i["id"], str) else i for i in cb["inputs"]]
        keys = {_key(i["id"]) for i in inputs}
        if keys <= ids.keys() | {"filters"} and keys & ids.keys():
            chosen.append(cb)
    return chosen, ids


def _value(ids: dict, dep: dict, store: dict):
    cid = dep["id"] if isinstance(dep["id"], str) else _key(dep["id"])
    if cid == "filters":
        return store
    return ids[cid].to_plotly_json()["props"].get(dep["property"]) if cid in ids else None


def _body(cb: dict, ids: dict, store: dict) -> dict:
    outputs = split_output(cb["output"])
    deps = {kind: [_dep(d["id"] + "." + d["property"]) for d in cb[kind]] for kind in ("inputs", "state")}
    return {
        "output": cb["output"], "outputs": outputs if cb["output"].startswith("..") else outputs[0],
        "inputs": [{**d, "value": _value(ids, d, store)} for d in deps["inputs"]],
        "state": [{**d, "value": _value(ids, d, store)} for d in deps["state"]],
        "changedPropIds": ["filters.data"],
    }


def answer_page(client, callbacks: list[dict], ids: dict, store: dict, errors: list) -> tuple[float, float]:
    """POST every callback of the page for ``store``; (wall, CPU) milliseconds, CPU of the whole process (DuckDB's
    threads included). Failures are collected in ``errors``."""
    started, cpu = time.perf_counter(), time.process_time()
    for cb in callbacks:
        response = client.post("/_dash-update-component", json=_body(cb, ids, store))
        if response.status_code not in (200, 204):
            errors.append(f"{cb['output'][:60]} → HTTP {response.status_code}")
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def random_stores(bounds: tuple[date, date], deps: list[str], contracts: list[str], n: int, seed: int) -> list[dict]:
    """``n`` random filter combinations inside the data's bounds (period 1–18 months, 0–3 departments…)."""
    from metrics.filters import Filters

    rng = random.Random(seed)
    lo, hi = bounds
    stores = []
    for _ in range(n):
        length = rng.randint(30, 540)
        start = lo + timedelta(days=rng.randint(0, max((hi - lo).days - length, 0)))
        f = Filters(start=start, end=min(start + timedelta(days=length - 1), hi),
                    departements=tuple(sorted(rng.sample(deps, rng.choice((0, 0, 1, 2, 3))))),
                    audience=rng.choice((None, None, "etudiant", "employeur")),
                    contracts=tuple(sorted(rng.sample(contracts, rng.choice((0, 0, 0, 1, 2))))))
        stores.append(f.to_store())
    return stores


def _p(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, -(-q * len(ordered) // 100) - 1)], 1)   # nearest rank


def percentiles(timings: list[tuple[float, float]]) -> dict:
    """p50 / p95 / max of wall milliseconds, and p50 / p95 of CPU milliseconds."""
    wall, cpu = [t[0] for t in timings], [t[1] for t in timings]
    return {"p50": _p(wall, 50), "p95": _p(wall, 95), "max": round(max(wall), 1), "cpu_p50": _p(cpu, 50),
            "cpu_p95": _p(cpu, 95), "n": len(wall)}


def _rss_mb() -> dict:
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": round(current, 1), "peak_rss_mb": round(peak, 1)}


def _startup() -> tuple[object, object, float]:
    """The app and a test client logged in with the demo account (the bench serves demo warehouses)."""
    started = time.perf_counter()
    os.environ.setdefault("WIF_DEMO", "1")
    import app
    from security.users import DEMO_LOGIN

    client = app.server.test_client()
    with client.session_transaction() as session:
        session["user"] = DEMO_LOGIN
    client.get("/_dash-dependencies")    # Dash sets its server up on the first request
    return app, client, (time.perf_counter() - started) * 1000


def measure_page(module: str, combos: int, seed: int) -> dict:
    """The measurements of one page in this (fresh) process; see the module docstring."""
    import dash
    import flask

    from metrics import meta
    from metrics.filters import Filters, default_period
    from security.users import DEMO_LOGIN

    app, client, startup_ms = _startup()
    page = dash.page_registry[module]
    with app.server.test_request_context(page["path"]):   # internal layouts are only built for a session
        flask.session["user"] = DEMO_LOGIN
        layout = page["layout"]() if callable(page["layout"]) else page["layout"]
    callbacks, ids = page_callbacks(app.app, layout)
    fresh = meta.freshness()
    default = Filters(*default_period(fresh.bounds[1])).to_store()
    errors: list[str] = []
    cold, cold_cpu = answer_page(client, callbacks, ids, default, errors)
    warm = [answer_page(client, callbacks, ids, default, errors) for _ in range(WARM_REPEATS)]
    stores = random_stores(fresh.bounds, list(meta.departement_options().code),
                           list(meta.contract_options().code), combos, seed)
    first = [answer_page(client, callbacks, ids, s, errors) for s in stores]
    again = [answer_page(client, callbacks, ids, s, errors) for s in stores]
    return {"module": module, "path": page["path"], "callbacks": len(callbacks), "startup_ms": round(startup_ms),
            "cold_ms": round(cold, 1), "cold_cpu_ms": round(cold_cpu, 1), "warm_default": percentiles(warm),
            "filters_first": percentiles(first),
            "filters_again": percentiles(again), "errors": sorted(set(errors)), **_rss_mb()}


def list_pages() -> dict:
    """Registered pages (404 excepted), the app import time and the shell layout time."""
    import dash

    _, client, startup_ms = _startup()
    started = time.perf_counter()
    status = client.get("/_dash-layout").status_code
    layout_ms = (time.perf_counter() - started) * 1000
    modules = [m for m in dash.page_registry if not m.endswith("not_found_404")]
    return {"pages": modules, "startup_ms": round(startup_ms), "layout_ms": round(layout_ms, 1),
            "layout_status": status, **_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("answer", type=Path)
    parser.add_argument("--page", default=None)
    parser.add_argument("--combos", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    write_answer(args.answer, measure_page(args.page, args.combos, args.seed) if args.page else list_pages())


if __name__ == "__main__":
    main()
