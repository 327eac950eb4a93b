"""Shared SQL building blocks of the dossier metrics: Wilson intervals, duration statistics, breakdowns.

Every helper returns constant SQL text assembled from column names chosen by the metrics modules (never
from user input); values always travel as named parameters.

Conventions used by every dossier metric:

* ``MIN_CELL``: a rate or a duration statistic computed on fewer than 5 dossiers is NULL (shown "—",
  "moins de 5 dossiers"); counts are always given.
* Quantiles are linear interpolations between order statistics (``quantile_cont``, numpy's default): the
  median of ``[1, 2, 4, 7]`` is 3, its 90th percentile 6.1.
* The winsorised mean clamps every value to the group's [5th, 95th] percentiles before averaging, so a few
  extreme dossiers cannot move it much while it still reacts to the tail (unlike the median).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054   # two-sided 95 % normal quantile
Z998 = 3.090232306167813  # two-sided 99.8 % normal quantile (outer funnel limits)
MIN_CELL = 5
OPEN_SQL = "('en_construction', 'en_instruction')"   # literal list for IN clauses
# Condition "dossier d is decided" (accepté, refusé or classé sans suite), written as "not open": the ETL loads only
# the five DS states (``etl.ds.parse.STATES``; exports are mapped onto them), so it selects the same dossiers as
# ``d.state IN ('accepte', 'refuse', 'sans_suite')``, and DuckDB evaluates it about 5× faster on 1 M dossiers
# (4 ms against 24 ms: an IN of three strings that most rows match costs more than a NOT IN of two).
DECIDED = f"d.state NOT IN {OPEN_SQL}"


def rate_sql(k: str, n: str) -> str:
    """SQL ratio ``k / n`` as DOUBLE, NULL when ``n`` < ``MIN_CELL``."""
    return f"CASE WHEN ({n}) >= {MIN_CELL} THEN CAST({k} AS DOUBLE) / ({n}) END"


def wilson_sql(k: str, n: str, z: float = Z95) -> tuple[str, str]:
    """SQL lower and upper bounds of the Wilson score interval of ``k`` successes out of ``n``.

    ``(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k/n``; NULL when ``n`` < ``MIN_CELL``.
    The interval is the inversion of the score test: it excludes ``p0`` exactly when
    ``|p − p0| > z·√(p0(1−p0)/n)``, which is also the funnel-plot criterion.
    """
    n = f"({n})"
    p = f"(CAST({k} AS DOUBLE) / {n})"
    z2 = z * z
    centre = f"({p} + {z2} / (2.0 * {n}))"
    half = f"({z} * sqrt({p} * (1 - {p}) / {n} + {z2} / (4.0 * {n} * {n})))"
    denominator = f"(1 + {z2} / {n})"
    guard = f"CASE WHEN {n} >= {MIN_CELL} THEN"
    return (f"{guard} greatest(0.0, ({centre} - {half}) / {denominator}) END",
            f"{guard} least(1.0, ({centre} + {half}) / {denominator}) END")


def rate_columns_sql(k: str, n: str, name: str) -> str:
    """``<name>_rate, <name>_low, <name>_high`` select items for ``k`` out of ``n`` (Wilson 95 %)."""
    low, high = wilson_sql(k, n)
    return f"{rate_sql(k, n)} AS {name}_rate, {low} AS {name}_low, {high} AS {name}_high"


DURATION_QUANTILES = (0.05, 0.5, 0.9, 0.95)   # winsorisation bounds, median, 90th percentile, upper bound


def duration_stats_sql(source: str, value: str, groups: tuple[str, ...] = (), min_n: int = 0,
                       sets: bool = False) -> str:
    """SELECT computing ``n, median, p90, mean_winsorized`` of ``value`` over ``source``, per ``groups``.

    ``source`` is a relation (CTE name) holding the ``groups`` columns and the DOUBLE/INTEGER ``value``
    (NULL values are ignored). Without groups the query returns exactly one row (n = 0, NULL statistics
    on an empty source). Statistics are NULL when n < ``min_n``. With ``sets``, each group column is a breakdown
    of its own (GROUPING SETS): the rows of ``groups[i]`` have the other group columns NULL and
    ``grouping_set = grouping_set_id(groups, i)``.

    Durations are whole days, so a group has few distinct values: everything is computed from the group's
    histogram (value, count) instead of its rows. A quantile q is ``quantile_cont``'s exactly: with
    h = (n − 1)·q, the order statistics of ranks ⌊h⌋ and ⌈h⌉ (0-based: the smallest value whose cumulated count
    exceeds the rank) interpolated as lo + (hi − lo)·(h − ⌊h⌋). The winsorised mean sums the clamped values of the
    histogram. A group whose values are all NULL is kept, with n = 0.
    """
    keys = "".join(f"{g}, " for g in groups)
    histogram = f"SELECT {keys}CAST({value} AS DOUBLE) AS x, count(*) AS c FROM {source} GROUP BY ALL"
    if sets:
        histogram = (f"SELECT {keys}grouping({', '.join(groups)}) AS grouping_set, x, count(*) AS c "
                     f"FROM (SELECT {keys}CAST({value} AS DOUBLE) AS x FROM {source}) "
                     f"GROUP BY GROUPING SETS ({', '.join(f'({g}, x)' for g in groups)})")
        groups = (*groups, "grouping_set")
        keys += "grouping_set, "
    part = f"PARTITION BY {', '.join(groups)}" if groups else ""
    group_by = f"GROUP BY {', '.join(groups)}" if groups else ""

    def guarded(expr: str) -> str:
        return f"CASE WHEN n >= {min_n} THEN {expr} END" if min_n else expr

    def order_statistic(q: float, rounding: str) -> str:
        return f"min(x) FILTER (WHERE upto > {rounding}((n - 1) * {q})) OVER ({part})"

    bounds = ", ".join(f"{order_statistic(q, 'floor')} AS lo{i}, {order_statistic(q, 'ceil')} AS hi{i}"
                       for i, q in enumerate(DURATION_QUANTILES))
    quantiles = ", ".join(f"lo{i} + (hi{i} - lo{i}) * ((n - 1) * {q} - floor((n - 1) * {q})) AS q{i}"
                          for i, q in enumerate(DURATION_QUANTILES))
    return f"""
        SELECT {keys}n, {guarded("q1")} AS median, {guarded("q2")} AS p90, {guarded("clamped / n")} AS mean_winsorized
        FROM (
            SELECT {keys}coalesce(any_value(n), 0) AS n, any_value(q1) AS q1, any_value(q2) AS q2,
                   sum(c * least(greatest(x, q0), q3)) FILTER (WHERE x IS NOT NULL) AS clamped   -- greatest skips NULL
            FROM (
                SELECT *, {quantiles} FROM (
                    SELECT *, {bounds} FROM (
                        SELECT *, sum(c) FILTER (WHERE x IS NOT NULL) OVER ({part} ORDER BY x ROWS UNBOUNDED PRECEDING)
                                      AS upto,
                               CAST(coalesce(sum(c) FILTER (WHERE x IS NOT NULL) OVER ({part}), 0) AS BIGINT) AS n
                        FROM ({histogram}) AS histogram   -- a NULL x counts a group's rows without value
                    ) AS cumulated
                ) AS ranked
            ) AS valued
            {group_by}
        ) AS stats
    """


def grouping_set_id(groups: tuple[str, ...], i: int) -> int:
    """Value of DuckDB's ``grouping(<groups>)`` on the rows grouped by ``groups[i]`` alone: every bit set (column
    not grouped) but the one of ``groups[i]`` (the first column is the most significant bit)."""
    return (1 << len(groups)) - 1 - (1 << (len(groups) - 1 - i))


@dataclass(frozen=True)
class Dimension:
    """A breakdown of dossiers: SQL key and label expressions, the join the label needs, and a sort expression
    (functionally dependent on the key, so it can be grouped by) giving the breakdown's natural order."""

    key: str
    label: str
    join: str
    sort: str


NOT_GIVEN = "Non renseigné"


def dimension(name: str, date_col: str, alias: str = "d") -> Dimension:
    """The breakdown ``name`` of dossiers ``alias``: "month" (of ``date_col``), "departement", "contract",
    "nationality" or "audience".

    Unknown values form a group with a NULL key labelled "Non renseigné(e)".
    """
    keys = {"month": f"CAST(date_trunc('month', {alias}.{date_col}) AS DATE)", "departement": f"{alias}.departement",
            "contract": f"{alias}.contract_category", "nationality": f"{alias}.nationality",
            "audience": f"{alias}.audience"}
    if name not in keys:
        raise ValueError(f"ventilation inconnue : {name}")
    return labelled_key(name, keys[name])


def labelled_key(name: str, key: str) -> Dimension:
    """Label, join and sort of the breakdown ``name`` written on the SQL expression ``key`` (its value).

    Used on an already grouped key (``labelled_key(by, "g.key")``), the labels are made once per group instead
    of once per dossier: on 1 M dossiers, grouping first then labelling halves a breakdown's time.
    """
    if name == "month":
        return Dimension(key, key, "", key)
    if name == "departement":
        return Dimension(key, f"coalesce({key} || ' – ' || rd.name, {key}, '{NOT_GIVEN}')",
                         f"LEFT JOIN ref_departements rd ON rd.code = {key}", key)
    if name == "contract":
        return Dimension(key, f"coalesce(rc.label, {key}, '{NOT_GIVEN}')",
                         f"LEFT JOIN ref_contract_categories rc ON rc.code = {key}", "rc.sort_order")
    if name == "nationality":
        label = f"coalesce(rn.name_fr, {key}, 'Non renseignée')"
        return Dimension(key, label, f"LEFT JOIN ref_countries rn ON rn.iso2 = {key}", label)
    if name == "audience":
        return Dimension(key, f"CASE {key} WHEN 'etudiant' THEN 'Étudiants' WHEN 'employeur' THEN 'Employeurs' "
                              f"ELSE '{NOT_GIVEN}' END", "", key)
    raise ValueError(f"ventilation inconnue : {name}")


def labelled_groups(name: str, grouped: str, volume: str, position: str | None = None) -> str:
    """``grouped`` (a query with one row per ``key`` of the breakdown ``name``) with the group's ``label`` after its
    key, labelled once per group (``labelled_key``), in ``breakdown_order(name, volume)``; with ``position``, a last
    column of that name numbers the rows 1, 2, … in that order (to keep it through a UNION)."""
    group = labelled_key(name, "g.key")
    order = breakdown_order(name, volume)
    numbered = f", row_number() OVER (ORDER BY {order}) AS {position}" if position else ""
    return f"""
        SELECT * EXCLUDE (sort){numbered} FROM (
            SELECT g.key, {group.label} AS label, {group.sort} AS sort, g.* EXCLUDE (key)
            FROM ({grouped}) g {group.join}
        ) ORDER BY {order}
    """


def split_parts(frame: pd.DataFrame, parts: dict[str, tuple[str, ...]]) -> dict[str, pd.DataFrame]:
    """The frames answered together by one query: the rows whose ``breakdown`` column is ``name``, in their order,
    with the columns ``parts[name]`` (``key`` and ``label`` read from ``key_<name>`` and ``label_<name>`` when the
    query has them, as the branches of a breakdown UNION do) and a fresh index, for each part. Built from the
    columns' arrays (same dtypes): about twice cheaper than selecting rows and columns of the frame."""
    names = frame["breakdown"].to_numpy()
    split = {}
    for name, columns in parts.items():
        rows = np.flatnonzero(names == name)
        sources = {c: f"{c}_{name}" if c in ("key", "label") and f"{c}_{name}" in frame.columns else c for c in columns}
        split[name] = pd.DataFrame({c: frame[s].array[rows] for c, s in sources.items()}, copy=False)
    return split


def breakdown_order(name: str, volume: str) -> str:
    """ORDER BY text for a breakdown with columns ``sort, key, label``: months chronologically, contracts in
    reference order, the others by decreasing ``volume`` then label."""
    if name in ("month", "contract"):
        return "sort NULLS LAST, key NULLS LAST"
    return f"{volume} DESC, label"


def funnel_limits(p0: float, n_max: int, n_min: int = MIN_CELL, points: int = 80) -> pd.DataFrame:
    """Control limits of a funnel plot around the proportion ``p0`` for group sizes ``n_min``..``n_max``.

    Columns ``[n, low95, high95, low998, high998]``: ``p0 ± z·√(p0(1 − p0)/n)`` clipped to 0..1, for about
    ``points`` sizes spread evenly on a log scale (integers, increasing, distinct; ``n_min`` is raised to
    ``MIN_CELL``). A group's rate lies outside the 95 % limits exactly when ``p0`` is outside its Wilson 95 %
    interval. Empty when ``n_max`` < ``n_min`` or ``p0`` is missing.
    """
    columns = ["n", "low95", "high95", "low998", "high998"]
    n_min = max(n_min, MIN_CELL)
    if p0 is None or np.isnan(p0) or n_max < n_min:
        return pd.DataFrame(columns=columns)
    n = np.unique(np.round(np.geomspace(n_min, n_max, points)).astype(int))
    se = np.sqrt(p0 * (1 - p0) / n)
    return pd.DataFrame({
        "n": n,
        "low95": np.clip(p0 - Z95 * se, 0, 1), "high95": np.clip(p0 + Z95 * se, 0, 1),
        "low998": np.clip(p0 - Z998 * se, 0, 1), "high998": np.clip(p0 + Z998 * se, 0, 1),
    })
