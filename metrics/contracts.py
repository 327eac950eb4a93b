"""Contract typology of the dossiers déposés in the period: categories, renewals, APT length, nationalities.

Outcome and processing time by contract come from ``metrics.decisions.rates_by(f, "contract")`` and
``metrics.delays.processing_by(f, "contract")``.

APT length = "Date de fin" − "Date de début" + 1 day (both days included, as WIF's back office counted it);
an APT is "long" from 91 days on. Dossiers whose dates are missing or inverted are counted apart (the back
office counted them as short).
"""

from __future__ import annotations

import pandas as pd

from metrics import db
from metrics.filters import Filters, dossier_where
from metrics.stats import dimension, labelled_groups, labelled_key, rate_sql

LONG_APT_DAYS = 91
ALTERNANCE = ("apprentissage", "professionnalisation")
# (lowest length in days, label); each bracket runs up to the next one's lowest length − 1.
APT_BRACKETS = ((1, "1 à 30 jours"), (31, "31 à 90 jours"), (91, "91 à 182 jours"), (183, "183 à 365 jours"),
                (366, "plus de 365 jours"))
APT_INVALID = "Dates absentes ou incohérentes"
APT_LENGTH_SQL = ("CASE WHEN d.apt_start IS NOT NULL AND d.apt_end >= d.apt_start "
                  "THEN date_diff('day', d.apt_start, d.apt_end) + 1 END")


def contract_summary(f: Filters) -> pd.DataFrame:
    """Headline typology of the period: one row ``[deposes, alternance_share, renouvellement_share, long_share]``.

    ``alternance_share``: apprentissage + professionnalisation among dossiers déposés; ``renouvellement_share``:
    renewals among dossiers saying première demande or renouvellement; ``long_share``: APT of 91 days or more
    among dossiers with valid APT dates. Shares in 0..1, NULL when their denominator is 0.
    """
    where, params = dossier_where(f, "depose_at")
    return db.query(
        f"""
        SELECT count(*) AS deposes,
               count(*) FILTER (WHERE list_contains($alternance, d.contract_category)) / nullif(count(*), 0)
                   AS alternance_share,
               count(*) FILTER (WHERE d.demande_type = 'renouvellement')
                   / nullif(count(d.demande_type), 0) AS renouvellement_share,
               count(*) FILTER (WHERE {APT_LENGTH_SQL} >= {LONG_APT_DAYS})
                   / nullif(count({APT_LENGTH_SQL}), 0) AS long_share
        FROM dossiers d WHERE {where}
        """,
        params | {"alternance": list(ALTERNANCE)},
    )


def contract_mix(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per month and contract category.

    Tidy columns ``[month, contract, label, dossiers, share]`` (``month`` a DATE, first of the month; ``share`` of
    the month's deposits in 0..1); only non-empty cells; months in order, categories in reference order.
    """
    where, params = dossier_where(f, "depose_at")
    month = dimension("month", "depose_at")
    contract = labelled_key("contract", "g.contract")        # labels made per cell, after counting
    return db.query(
        f"""
        SELECT month, contract, label, dossiers, dossiers / sum(dossiers) OVER (PARTITION BY month) AS share
        FROM (
            SELECT g.month, g.contract, {contract.label} AS label, {contract.sort} AS sort, g.dossiers
            FROM (SELECT {month.key} AS month, d.contract_category AS contract, count(*) AS dossiers
                  FROM dossiers d WHERE {where} GROUP BY ALL) g {contract.join}
        ) ORDER BY month, sort NULLS LAST, contract
        """,
        params,
    )


def contract_by_departement(f: Filters) -> pd.DataFrame:
    """Dossiers déposés per department and contract category.

    Tidy columns ``[departement, departement_label, contract, label, dossiers, share]`` (``share`` of the
    department's deposits in 0..1); departments by decreasing deposits, categories in reference order.
    """
    where, params = dossier_where(f, "depose_at")
    dep = labelled_key("departement", "g.departement")       # labels made per cell, after counting
    contract = labelled_key("contract", "g.contract")
    return db.query(
        f"""
        SELECT departement, departement_label, contract, label, dossiers,
               dossiers / sum(dossiers) OVER (PARTITION BY departement) AS share
        FROM (
            SELECT g.departement, {dep.label} AS departement_label, g.contract, {contract.label} AS label,
                   {contract.sort} AS sort, g.dossiers
            FROM (SELECT d.departement, d.contract_category AS contract, count(*) AS dossiers
                  FROM dossiers d WHERE {where} GROUP BY ALL) g {dep.join} {contract.join}
        ) ORDER BY sum(dossiers) OVER (PARTITION BY departement) DESC, departement NULLS LAST, sort NULLS LAST,
                   contract
        """,
        params,
    )


def demande_types(f: Filters) -> pd.DataFrame:
    """Première demande vs renouvellement per contract category.

    Columns ``[key, label, premiere, renouvellement, non_renseigne, total, renouvellement_share]``: dossiers
    déposés; ``renouvellement_share`` among those answering, in 0..1, NULL under 5 answers.
    """
    where, params = dossier_where(f, "depose_at")
    counts = f"""
        SELECT *, {rate_sql('renouvellement', 'premiere + renouvellement')} AS renouvellement_share FROM (
            SELECT d.contract_category AS key,
                   count(*) FILTER (WHERE d.demande_type = 'premiere') AS premiere,
                   count(*) FILTER (WHERE d.demande_type = 'renouvellement') AS renouvellement,
                   count(*) FILTER (WHERE d.demande_type IS NULL) AS non_renseigne, count(*) AS total
            FROM dossiers d WHERE {where} GROUP BY ALL
        )
    """
    return db.query(labelled_groups("contract", counts, "total"), params)


def apt_lengths(f: Filters) -> pd.DataFrame:
    """Distribution of the requested APT length (days, both ends included) of the dossiers déposés.

    Columns ``[bracket, long, dossiers, share]``: the brackets of ``APT_BRACKETS`` then ``APT_INVALID``, zeros
    included; ``long`` true for brackets of 91 days or more (NULL for the invalid row); ``share`` of all
    dossiers déposés, in 0..1, NULL when there are none.
    """
    where, params = dossier_where(f, "depose_at")
    labels = [label for _, label in APT_BRACKETS] + [APT_INVALID]
    brackets = " ".join(f"WHEN length >= {low} THEN {i}" for i, (low, _) in reversed(list(enumerate(APT_BRACKETS, 1))))
    return db.query(
        f"""
        WITH b AS (SELECT unnest($labels) AS bracket, generate_subscripts($labels, 1) AS pos),
             c AS (SELECT CASE WHEN length IS NULL THEN {len(labels)} {brackets} END AS pos, count(*) AS n
                   FROM (SELECT {APT_LENGTH_SQL} AS length FROM dossiers d WHERE {where}) GROUP BY 1)
        SELECT b.bracket, CASE WHEN b.pos < {len(labels)} THEN b.pos >= $long_from END AS long,
               coalesce(c.n, 0) AS dossiers, coalesce(c.n, 0) / nullif(sum(coalesce(c.n, 0)) OVER (), 0) AS share
        FROM b LEFT JOIN c USING (pos) ORDER BY b.pos
        """,
        params | {"labels": labels,
                  "long_from": next(i for i, (low, _) in enumerate(APT_BRACKETS, 1) if low >= LONG_APT_DAYS)},
    )


def apt_long_by_contract(f: Filters) -> pd.DataFrame:
    """APT of 91 days or more vs shorter, per contract category, among the dossiers déposés.

    Columns ``[key, label, long, short, invalid, long_share]``: dossiers; ``long_share`` among valid dates,
    in 0..1, NULL under 5 valid dates.
    """
    where, params = dossier_where(f, "depose_at")
    counts = f"""
        SELECT *, {rate_sql('long', 'long + short')} AS long_share FROM (
            SELECT d.contract_category AS key,
                   count(*) FILTER (WHERE {APT_LENGTH_SQL} >= {LONG_APT_DAYS}) AS long,
                   count(*) FILTER (WHERE {APT_LENGTH_SQL} < {LONG_APT_DAYS}) AS short,
                   count(*) FILTER (WHERE {APT_LENGTH_SQL} IS NULL) AS invalid
            FROM dossiers d WHERE {where} GROUP BY ALL
        )
    """
    return db.query(labelled_groups("contract", counts, "long + short"), params)


def top_nationalities(f: Filters, top: int = 5) -> pd.DataFrame:
    """The ``top`` most frequent nationalities of the dossiers déposés, per contract category.

    Columns ``[contract, contract_label, rank, nationality, label, dossiers, share]``: ``share`` of the
    category's dossiers (unknown nationalities included in that total but never ranked); ties broken by
    nationality name, so ranks are 1..top without gaps. Categories in reference order.
    """
    where, params = dossier_where(f, "depose_at")
    contract = labelled_key("contract", "g.contract")        # labels made per cell, after counting
    nationality = labelled_key("nationality", "g.nationality")
    return db.query(
        f"""
        WITH c AS (
            SELECT g.contract, {contract.label} AS contract_label, {contract.sort} AS sort,
                   g.nationality, {nationality.label} AS label, g.dossiers
            FROM (SELECT d.contract_category AS contract, d.nationality, count(*) AS dossiers
                  FROM dossiers d WHERE {where} GROUP BY ALL) g {contract.join} {nationality.join}
        ), ranked AS (
            SELECT *, dossiers / sum(dossiers) OVER (PARTITION BY contract) AS share,
                   CASE WHEN nationality IS NOT NULL THEN
                       row_number() OVER (PARTITION BY contract, nationality IS NULL ORDER BY dossiers DESC, label)
                   END AS rank
            FROM c
        )
        SELECT contract, contract_label, CAST(rank AS INTEGER) AS rank, nationality, label, dossiers, share
        FROM ranked WHERE rank <= $top
        ORDER BY sort NULLS LAST, contract, rank
        """,
        params | {"top": top},
    )

