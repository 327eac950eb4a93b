"""Central metrics computed twice — plain pandas on the raw tables vs the metrics layer — checked equal.

The pandas side starts from the raw tables already in memory (loading them is timed apart), so the ratio
compares computation with computation (``ratio_with_load`` adds the load, as a pandas app re-reading the
warehouse after each refresh would pay it); the metrics side is timed with the result cache cleared (each call
runs its SQL). Default view: the last 12 months of data, no other filter.

* processing time (``metrics.delays.processing_by``, decision cohort) by month in working days (pandas counts them
  with the raw ``calendar`` table's working-day index; the metrics layer reads the durations the ETL stored on each
  dossier) and by department in calendar days: n, median, 90th percentile, mean winsorised at 5–95 %;
* refusal rate with its Wilson 95 % interval by department (``metrics.decisions.rates_by``);
* page drop-off (``metrics.journey.page_table``): visits viewing each page, exits, lost visits and loss rate,
  the exit page and DS departure derived from the raw actions (not from the warehouse's derived columns);
* ineligibility by department (``metrics.journey.ineligibility_by_departement``): visits that viewed the
  "département non couvert" page per department of the page's URL, and those before the department's first
  dossier, from the raw actions and dossiers (the metrics layer reads the derived ``ineligible_views``).
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench.children import write_answer

REPEATS = 3


def _timed(fn, repeats: int = REPEATS, before=None) -> tuple[object, float]:
    """Result of ``fn()`` and its median time in ms over ``repeats`` runs (``before()`` run untimed each time)."""
    times, result = [], None
    for _ in range(repeats):
        if before:
            before()
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return result, float(np.median(times))


def load_raw(db: Path) -> dict[str, pd.DataFrame]:
    """The raw tables the pandas versions need."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "dossiers": con.execute("SELECT departement, state, depose_at, traite_at FROM dossiers").df(),
            "calendar": con.execute("SELECT day, working_day_index FROM calendar").df(),
            "visits": con.execute("SELECT visit_key, visit_date FROM visits").df(),
            "actions": con.execute("SELECT visit_key, position, action_type, page_key, departement FROM actions").df(),
            "pages": con.execute("SELECT page_key, role FROM ref_pages").df(),
        }
    finally:
        con.close()


def _decided(raw: dict, f) -> pd.DataFrame:
    d = raw["dossiers"]
    start, stop = pd.Timestamp(f.start), pd.Timestamp(f.end + timedelta(days=1))
    d = d[(d.traite_at >= start) & (d.traite_at < stop) & d.state.isin(["accepte", "refuse", "sans_suite"])]
    return d[d.traite_at >= d.depose_at]


def pandas_delays(raw: dict, f, by: str, unit: str) -> pd.DataFrame:
    """n, median, p90 and 5–95 % winsorised mean of the days deposit → decision (``unit`` "calendar", or "working":
    working-day index of the decision day − that of the deposit day) per month of decision or department."""
    d = _decided(raw, f)
    start, end = d.depose_at.dt.normalize(), d.traite_at.dt.normalize()
    if unit == "calendar":
        days = (end - start).dt.days.astype(float)
    else:
        index = raw["calendar"].assign(day=pd.to_datetime(raw["calendar"].day)).set_index("day").working_day_index
        days = (end.map(index) - start.map(index)).astype(float)
    key = d.traite_at.dt.to_period("M").dt.start_time if by == "month" else d.departement
    g = days.groupby(key.to_numpy(), dropna=False)
    low, high = g.transform(lambda x: x.quantile(0.05)), g.transform(lambda x: x.quantile(0.95))
    out = pd.DataFrame({"n": g.size(), "median": g.quantile(0.5), "p90": g.quantile(0.9),
                        "mean_winsorized": days.clip(low, high).groupby(key.to_numpy(), dropna=False).mean()})
    out.loc[out.n < 5, ["median", "p90", "mean_winsorized"]] = np.nan
    return out.rename_axis("key").reset_index()


def pandas_refusals(raw: dict, f) -> pd.DataFrame:
    """Decided, refused, refusal rate and Wilson 95 % bounds per department (NULL under 5 decisions)."""
    from metrics.stats import Z95

    d = _decided(raw, f)
    g = d.assign(refused=d.state.eq("refuse")).groupby("departement", dropna=False).refused
    out = pd.DataFrame({"decided": g.size(), "refuses": g.sum()})
    n, p = out.decided.astype(float), out.refuses / out.decided
    centre, half = p + Z95**2 / (2 * n), Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    out["refusal_rate"] = p
    out["refusal_low"] = ((centre - half) / (1 + Z95**2 / n)).clip(lower=0)
    out["refusal_high"] = ((centre + half) / (1 + Z95**2 / n)).clip(upper=1)
    out.loc[out.decided < 5, ["refusal_rate", "refusal_low", "refusal_high"]] = np.nan
    return out.rename_axis("key").reset_index()


def pandas_dropoff(raw: dict, f) -> pd.DataFrame:
    """Per page: visits that viewed it, exits on it, lost exits (no DS departure, not 'non_eligible'), loss rate."""
    v = raw["visits"]
    keys = v.visit_key[(v.visit_date >= pd.Timestamp(f.start)) & (v.visit_date <= pd.Timestamp(f.end))]
    acts = raw["actions"][raw["actions"].visit_key.isin(keys)]
    reached = acts.loc[acts.page_key.eq("depart_ds"), "visit_key"].unique()
    views = acts[acts.action_type.eq("action")]
    exits = views.sort_values(["visit_key", "position"]).groupby("visit_key").page_key.last().dropna()
    exits = exits.to_frame("page_key").assign(reached=lambda x: x.index.isin(reached))
    lost = exits[~exits.reached & exits.page_key.ne("non_eligible")]
    pages = raw["pages"][~raw["pages"].role.isin(["depart", "document"])].set_index("page_key")
    out = pd.DataFrame({
        "visits": views.groupby("page_key").visit_key.nunique(), "exits": exits.page_key.value_counts(),
        "lost": lost.page_key.value_counts()}).reindex(pages.index).fillna(0).astype(int)
    out["lost_rate"] = out.lost / out.visits.where(out.visits > 0)
    return out.rename_axis("key").reset_index()


def pandas_ineligibility(raw: dict, f) -> pd.DataFrame:
    """Per department of the "département non couvert" page's URL: visits of the period that viewed it, and those
    before the department's first dossier ever (all of them when it has none)."""
    v = raw["visits"]
    v = v[(v.visit_date >= pd.Timestamp(f.start)) & (v.visit_date <= pd.Timestamp(f.end))]
    acts = raw["actions"]
    seen = acts.loc[acts.page_key.eq("non_eligible"), ["visit_key", "departement"]].drop_duplicates()
    seen = seen.merge(v, on="visit_key")
    d = raw["dossiers"]
    opened = d.dropna(subset=["departement"]).groupby("departement").depose_at.min().dt.normalize()
    first = seen.departement.map(opened)
    seen = seen.assign(before=first.isna() | (pd.to_datetime(seen.visit_date) < first))
    g = seen.groupby("departement", dropna=False)
    return pd.DataFrame({"visits": g.size(), "before_opening": g.before.sum()}).rename_axis("key").reset_index()


def _same(ours: pd.DataFrame, theirs: pd.DataFrame, columns: list[str]) -> None:
    """Assert equal rows (matched on ``key``, NULL keys included) and values (1e-9 relative)."""
    a = ours.assign(key=ours.key.astype(str)).set_index("key").sort_index()[columns]
    b = theirs.assign(key=theirs.key.astype(str)).set_index("key").sort_index()[columns]
    pd.testing.assert_frame_equal(a.astype(float), b.astype(float), check_exact=False, rtol=1e-9, check_names=False)


def compare(db: Path) -> list[dict]:
    """Run the comparisons on warehouse ``db``; one result row per metric."""
    from metrics import db as mdb
    from metrics import decisions, delays, journey, meta
    from metrics.filters import Filters, default_period

    started = time.perf_counter()
    raw = load_raw(db)                  # first: its connection is closed before the metrics layer opens its own
    load_ms = (time.perf_counter() - started) * 1000
    mdb.use_database(db)
    f = Filters(*default_period(meta.freshness().bounds[1]))
    clear = mdb._cached_query.cache_clear
    cases = [
        ("délai médian par mois, jours ouvrés (delays.processing_by)",
         lambda: pandas_delays(raw, f, "month", "working"),
         lambda: delays.processing_by(f, "month", unit="working"), ["n", "median", "p90", "mean_winsorized"]),
        ("délai médian par département, jours calendaires (delays.processing_by)",
         lambda: pandas_delays(raw, f, "departement", "calendar"),
         lambda: delays.processing_by(f, "departement", unit="calendar"), ["n", "median", "p90", "mean_winsorized"]),
        ("taux de refus + IC Wilson par département (decisions.rates_by)", lambda: pandas_refusals(raw, f),
         lambda: decisions.rates_by(f, "departement"),
         ["decided", "refuses", "refusal_rate", "refusal_low", "refusal_high"]),
        ("abandon par page (journey.page_table)", lambda: pandas_dropoff(raw, f),
         lambda: journey.page_table(f).rename(columns={"page_key": "key"}), ["visits", "exits", "lost", "lost_rate"]),
        ("visites non éligibles par département (journey.ineligibility_by_departement)",
         lambda: pandas_ineligibility(raw, f),
         lambda: journey.ineligibility_by_departement(f).rename(columns={"departement": "key"}),
         ["visits", "before_opening"]),
    ]
    rows = []
    for name, with_pandas, with_metrics, columns in cases:
        theirs, pandas_ms = _timed(with_pandas)
        ours, metrics_ms = _timed(with_metrics, before=clear)
        status = "égal"
        try:
            _same(ours, theirs, columns)
        except AssertionError as exc:
            status = "DIFFÉRENT : " + " ".join(str(exc).split())[:300]
        rows.append({"metric": name, "rows": len(ours), "pandas_ms": round(pandas_ms, 1),
                     "metrics_ms": round(metrics_ms, 1), "ratio": round(pandas_ms / metrics_ms, 1),
                     "ratio_with_load": round((pandas_ms + load_ms) / metrics_ms, 1),
                     "equal": status == "égal", "status": status})
    return [{"metric": "chargement des tables brutes en pandas", "pandas_ms": round(load_ms, 1)}, *rows]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.equivalence")
    parser.add_argument("db", type=Path)
    parser.add_argument("answer", type=Path)
    args = parser.parse_args()
    write_answer(args.answer, {"comparisons": compare(args.db)})


if __name__ == "__main__":
    main()
