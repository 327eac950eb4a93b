"""Contract typology of the dossiers déposés in the period: categories, renewals, APT length, nationalities.

Outcome and processing time by contract come from ``metrics.decisions.rates_by(f, "contract")`` and
``metrics.delays.processing_by(f, "contract")``.

APT length = "Date de fin" − "Date de début" + 1 day (both days included, as WIF's back office counted it);
an APT is "long" from 91 days on. Dossiers whose dates are missing or inverted are counted apart (the back
office counted them as short).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics import db
from metrics.filters import Filters, dossier_where
from metrics.stats import labelled_groups, labelled_key, rate_sql

LONG_APT_DAYS = 91
ALTERNANCE = ("apprentissage", "professionnalisation")
# (lowest length in days, label); each bracket runs up to the next one's lowest length − 1.
APT_BRACKETS = ((1, "1 à 30 jours"), (31, "31 à 90 jours"), (91, "91 à 182 jours"), (183, "183 à 365 jours"),
                (366, "plus de 365 jours"))
APT_INVALID = "Dates absentes ou incohérentes"
MAX_TOP = 10   # nationalities ranked per contract category (``top_nationalities``)
APT_LENGTH_SQL = ("CASE WHEN d.apt_start IS NOT NULL AND d.apt_end >= d.apt_start "
                  "THEN date_diff('day', d.apt_start, d.apt_end) + 1 END")


def contract_summaries(f: Filters) -> pd.DataFrame:
    """Headline typology of the period, then of the previous one (``f.previous()``): two rows ``[deposes,
    alternance_share, renouvellement_share, long_share]``.

    ``alternance_share``: apprentissage + professionnalisation among dossiers déposés; ``renouvellement_share``:
    renewals among dossiers saying première demande or renouvellement; ``long_share``: APT of 91 days or more
    among dossiers with valid APT dates. Shares in 0..1, NULL when their denominator is 0.
    """
    return _part(f, "summary", ["deposes", "alternance_share", "renouvellement_share", "long_share"])


def contract_mix(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per month and contract category.

    Tidy columns ``[month, contract, label, dossiers, share]`` (``month`` a DATE, first of the month; ``share`` of
    the month's deposits in 0..1); only non-empty cells; months in order, categories in reference order.
    """
    return _part(f, "mix", ["month", "contract", "label", "dossiers", "share"])


def contract_by_departement(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per department and contract category.

    Tidy columns ``[departement, departement_label, contract, label, dossiers, share]`` (``share`` of the
    department's deposits in 0..1); departments by decreasing deposits, categories in reference order.
    """
    return _part(f, "departement", ["departement", "departement_label", "contract", "label", "dossiers", "share"])


def demande_types(f: Filters) -> pd.DataFrame:
    """Première demande vs renouvellement per contract category.

    Columns ``[key, label, premiere, renouvellement, non_renseigne, total, renouvellement_share]``: dossiers
    déposés; ``renouvellement_share`` among those answering, in 0..1, NULL under 5 answers.
    """
    return _part(f, "contract", ["key", "label", "premiere", "renouvellement", "non_renseigne", "total",
                                 "renouvellement_share"])


def apt_lengths(f: Filters) -> pd.DataFrame:
    """Distribution of the requested APT length (days, both ends included) of the dossiers déposés.

    Columns ``[bracket, long, dossiers, share]``: the brackets of ``APT_BRACKETS`` then ``APT_INVALID``, zeros
    included; ``long`` true for brackets of 91 days or more (NULL for the invalid row); ``share`` of all
    dossiers déposés, in 0..1, NULL when there are none.
    """
    return _part(f, "apt", ["bracket", "long_bracket", "dossiers", "share"]).rename(columns={"long_bracket": "long"})


def apt_long_by_contract(f: Filters) -> pd.DataFrame:
    """APT of 91 days or more vs shorter, per contract category, among the dossiers déposés.

    Columns ``[key, label, long, short, invalid, long_share]``: dossiers; ``long_share`` among valid dates,
    in 0..1, NULL under 5 valid dates.
    """
    return _part(f, "contract", ["key", "label", "long", "short", "invalid", "long_share"])


def top_nationalities(f: Filters, top: int = 5) -> pd.DataFrame:
    """The ``top`` most frequent nationalities of the dossiers déposés, per contract category.

    Columns ``[contract, contract_label, rank, nationality, label, dossiers, share]``: ``share`` of the
    category's dossiers (unknown nationalities included in that total but never ranked); ties broken by
    nationality name, so ranks are 1..top without gaps. Categories in reference order. ``top`` at most ``MAX_TOP``.
    """
    if not 0 < top <= MAX_TOP:
        raise ValueError(f"nombre de nationalités hors de 1..{MAX_TOP} : {top}")
    return _part(f, "nationality", ["contract", "contract_label", "rank", "nationality", "label", "dossiers", "share"],
                 top=top)


def _part(f: Filters, part: str, columns: list[str], top: int | None = None) -> pd.DataFrame:
    """The ``columns`` of the rows of ``part`` in ``_profile(f)`` (nationalities ranked up to ``top``)."""
    profile = _profile(f)
    parts = profile.part.to_numpy()
    first, end = parts.searchsorted(part, "left"), parts.searchsorted(part, "right")   # sorted by part
    rows = slice(first, end) if top is None else first + (profile["rank"].to_numpy()[first:end] <= top).nonzero()[0]
    return profile.iloc[rows, [profile.columns.get_loc(c) for c in columns]].reset_index(drop=True)


def _count(n: str, condition: str) -> str:
    """Select item: sum of the counts ``n`` of the rows meeting ``condition``, as a BIGINT (0 when none)."""
    return f"CAST(coalesce(sum({n}) FILTER (WHERE {condition}), 0) AS BIGINT)"


def _profile(f: Filters) -> pd.DataFrame:
    """Every figure of the page Contrats on the dossiers déposés, from one query, one part after the other (column
    ``part``): "summary" (``contract_summaries``), "mix" (``contract_mix``), "departement"
    (``contract_by_departement``), "contract" (``demande_types`` and ``apt_long_by_contract``), "apt"
    (``apt_lengths``), "nationality" (the ``MAX_TOP`` first nationalities of ``top_nationalities``). A part's rows are
    in its metric's order; the columns of the other parts are NULL on them (0 for counts: they stay integers).

    The dossiers of the period and of the previous one are read once and counted in three groupings (month ×
    department × contract, contract × demande × APT bracket for both periods, contract × nationality); every part
    adds up the few rows of one of them."""
    where, params = dossier_where(replace(f, start=f.previous().start), "depose_at")
    labels = [label for _, label in APT_BRACKETS] + [APT_INVALID]
    invalid = len(labels)
    brackets = " ".join(f"WHEN length >= {low} THEN {i}" for i, (low, _) in reversed(list(enumerate(APT_BRACKETS, 1))))
    long_from = next(i for i, (low, _) in enumerate(APT_BRACKETS, 1) if low >= LONG_APT_DAYS)
    is_long = f"g.pos >= {long_from} AND g.pos < {invalid}"
    contract = labelled_key("contract", "g.contract")        # labels made per cell, after counting
    dep = labelled_key("departement", "g.departement")
    nationality = labelled_key("nationality", "g.nationality")
    ids = {name: f"g.grp = '{name}'" for name in ("mix", "departement", "nationality")}
    cell = "g.n AS dossiers"
    counts = f"""
        SELECT g.contract AS key, {_count("g.n", "g.demande_type = 'premiere'")} AS premiere,
               {_count("g.n", "g.demande_type = 'renouvellement'")} AS renouvellement,
               {_count("g.n", "g.demande_type IS NULL")} AS non_renseigne, {_count("g.n", "TRUE")} AS total,
               {_count("g.n", is_long)} AS long, {_count("g.n", f"g.pos < {long_from}")} AS short,
               {_count("g.n", f"g.pos = {invalid}")} AS invalid
        FROM kinds g WHERE g.current GROUP BY g.contract
    """
    rated = f"""SELECT *, {rate_sql('renouvellement', 'premiere + renouvellement')} AS renouvellement_share,
                          {rate_sql('long', 'long + short')} AS long_share FROM ({counts})"""
    parts = f"""
        WITH d AS (
            SELECT d.depose_at >= CAST($cur AS TIMESTAMP) AS current, {_month_number("d.depose_at")} AS month,
                   d.departement, d.contract_category AS contract, d.demande_type,
                   CASE WHEN length IS NULL THEN {invalid} {brackets} END AS pos, d.nationality
            FROM (SELECT *, {APT_LENGTH_SQL} AS length FROM dossiers d WHERE {where}) d
        ), places AS (SELECT month, departement, contract, count(*) AS n FROM d WHERE current GROUP BY ALL),
        kinds AS MATERIALIZED (SELECT current, contract, demande_type, pos, count(*) AS n FROM d GROUP BY ALL),
        g AS MATERIALIZED (
            SELECT 'mix' AS grp, make_date(p.month // 100, p.month % 100, 1) AS month, p.contract,
                   CAST(sum(p.n) AS BIGINT) AS n FROM places p GROUP BY p.month, p.contract
            UNION ALL BY NAME
            SELECT 'departement' AS grp, departement, contract, CAST(sum(n) AS BIGINT) AS n FROM places GROUP BY ALL
            UNION ALL BY NAME
            SELECT 'nationality' AS grp, contract, nationality, count(*) AS n FROM d WHERE current GROUP BY ALL
        ), nat AS (
            SELECT g.contract, {contract.label} AS contract_label, {contract.sort} AS sort, g.nationality,
                   {nationality.label} AS label, {cell}, g.n / sum(g.n) OVER (PARTITION BY g.contract) AS share,
                   CASE WHEN g.nationality IS NOT NULL THEN row_number() OVER (
                       PARTITION BY g.contract, g.nationality IS NULL ORDER BY g.n DESC, {nationality.label}) END AS r
            FROM g {contract.join} {nationality.join} WHERE {ids["nationality"]}
        ), apt AS (
            SELECT b.pos, b.bracket, coalesce(c.n, 0) AS dossiers FROM
                (SELECT unnest($labels) AS bracket, generate_subscripts($labels, 1) AS pos) b
                LEFT JOIN (SELECT pos, CAST(sum(n) AS BIGINT) AS n FROM kinds WHERE current GROUP BY 1) c USING (pos)
        )
        SELECT 'summary' AS part, {_count("g.n", "TRUE")} AS deposes,
               {_count("g.n", "list_contains($alternance, g.contract)")} / nullif({_count("g.n", "TRUE")}, 0)
                   AS alternance_share,
               {_count("g.n", "g.demande_type = 'renouvellement'")}
                   / nullif({_count("g.n", "g.demande_type IS NOT NULL")}, 0) AS renouvellement_share,
               {_count("g.n", is_long)} / nullif({_count("g.n", f"g.pos < {invalid}")}, 0) AS long_share,
               CASE WHEN p.current THEN 1 ELSE 2 END AS pos
        FROM (VALUES (true), (false)) p(current) LEFT JOIN kinds g USING (current) GROUP BY p.current
        UNION ALL BY NAME
        SELECT 'mix' AS part, g.month, g.contract, {contract.label} AS label, {cell},
               g.n / sum(g.n) OVER (PARTITION BY g.month) AS share,
               row_number() OVER (ORDER BY g.month, {contract.sort} NULLS LAST, g.contract) AS pos
        FROM g {contract.join} WHERE {ids["mix"]}
        UNION ALL BY NAME
        SELECT 'departement' AS part, g.departement, {dep.label} AS departement_label, g.contract,
               {contract.label} AS label, {cell}, g.n / g.total AS share,
               row_number() OVER (ORDER BY g.total DESC, g.departement NULLS LAST, {contract.sort} NULLS LAST,
                                  g.contract) AS pos
        FROM (SELECT *, sum(n) OVER (PARTITION BY departement) AS total FROM g WHERE {ids["departement"]}) g
             {dep.join} {contract.join}
        UNION ALL BY NAME
        SELECT 'contract' AS part, *, row_number() OVER () AS pos FROM ({labelled_groups("contract", rated, "total")})
        UNION ALL BY NAME
        SELECT 'apt' AS part, bracket, CASE WHEN pos < {invalid} THEN pos >= {long_from} END AS long_bracket,
               dossiers, dossiers / nullif(sum(dossiers) OVER (), 0) AS share, pos FROM apt
        UNION ALL BY NAME
        SELECT 'nationality' AS part, contract, contract_label, CAST(r AS INTEGER) AS rank, nationality, label,
               dossiers, share, row_number() OVER (ORDER BY sort NULLS LAST, contract, r) AS pos
        FROM nat WHERE r <= {MAX_TOP}
        """
    counts = ("deposes", "dossiers", "premiere", "renouvellement", "non_renseigne", "total", "long", "short", "invalid",
              "rank")
    return db.query(
        f"SELECT * REPLACE ({', '.join(f'coalesce({c}, 0) AS {c}' for c in counts)}) FROM ({parts}) ORDER BY part, pos",
        params | {"labels": labels, "cur": f.start, "alternance": list(ALTERNANCE)},
    )


def _month_number(column: str) -> str:
    """The month of ``column`` as the integer yyyymm: cheaper to compute and to group by than truncating every date."""
    return f"year({column}) * 100 + month({column})"
