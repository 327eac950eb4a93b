"""The global filters (période, département, public, type de contrat) and their SQL translation.

Filters travel in the URL query string so every view is shareable::

    ?du=2025-01-01&au=2025-12-31&dep=75,69&public=etudiant&contrat=apprentissage,cdd

``parse_query`` never raises: every invalid value is ignored and reported as a French notice. The SQL
helpers only ever emit constant clause text with named parameters — no value is spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

AUDIENCES = ("etudiant", "employeur")
AUDIENCE_LABELS = {"etudiant": "Étudiants", "employeur": "Employeurs"}
MAX_LIST = 120  # more codes than France has departments is not a real request
MAX_FIELDS = 50  # more parameters than the five filters is not a real request either
PARAMETERS = ("du", "au", "dep", "public", "contrat")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Columns of `dossiers` a period may apply to (identifiers are whitelisted, never taken from input).
DOSSIER_DATE_COLUMNS = ("depose_at", "traite_at", "en_instruction_at", "modified_at")


@dataclass(frozen=True)
class Filters:
    """The global filters; empty tuples / None mean "all"."""

    start: date
    end: date
    departements: tuple[str, ...] = ()
    audience: str | None = None
    contracts: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        """Length of the period in days (inclusive)."""
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the period of the same length ending the day before ``start``."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def to_store(self) -> dict:
        """JSON-able form kept in the ``filters`` dcc.Store."""
        return {
            "du": self.start.isoformat(), "au": self.end.isoformat(), "dep": list(self.departements),
            "public": self.audience, "contrat": list(self.contracts),
        }

    @classmethod
    def from_store(cls, data: dict) -> Filters:
        """Inverse of ``to_store``."""
        return cls(
            start=date.fromisoformat(data["du"]), end=date.fromisoformat(data["au"]),
            departements=tuple(data.get("dep") or ()), audience=data.get("public") or None,
            contracts=tuple(data.get("contrat") or ()),
        )


def default_period(data_end: date) -> tuple[date, date]:
    """The last 12 months of available data: (data_end − 1 year + 1 day, data_end)."""
    try:
        start = data_end.replace(year=data_end.year - 1)
    except ValueError:  # 29 February
        start = data_end.replace(year=data_end.year - 1, day=28)
    return start + timedelta(days=1), data_end


def _one(values: dict[str, list[str]], key: str) -> str | None:
    got = values.get(key)
    return got[-1].strip() if got else None


def _codes(raw: str | None, valid: set[str], label: str, notices: list[str]) -> tuple[str, ...]:
    if not raw:
        return ()
    items = [c.strip() for c in raw.split(",") if c.strip()]
    if len(items) > MAX_LIST:
        notices.append(f"Trop de valeurs pour le filtre « {label} » : filtre ignoré.")
        return ()
    kept = tuple(dict.fromkeys(c for c in items if c in valid))
    unknown = [c for c in items if c not in valid]
    if unknown:
        shown = ", ".join(sorted(set(unknown))[:5])[:60]
        notices.append(f"Valeur inconnue ignorée pour le filtre « {label} » : {shown}.")
    return kept


def _date(raw: str | None, label: str, notices: list[str]) -> date | None:
    if raw is None or raw == "":
        return None
    if _DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    notices.append(f"Date « {label} » invalide (attendu AAAA-MM-JJ) : valeur ignorée.")
    return None


def parse_query(
    search: str | None,
    bounds: tuple[date, date],
    valid_departements: set[str],
    valid_contracts: set[str],
) -> tuple[Filters, list[str]]:
    """Filters from a URL query string, within ``bounds`` (first and last day of data).

    Returns the filters and the French notices for every value ignored. Never raises.
    """
    notices: list[str] = []
    try:
        values = parse_qs((search or "").lstrip("?"), keep_blank_values=False, max_num_fields=MAX_FIELDS)
    except ValueError:
        notices.append("Adresse trop longue : tous ses paramètres sont ignorés.")
        values = {}
    unknown = sorted(k for k in values if k not in PARAMETERS)
    if unknown:
        notices.append(f"Paramètre inconnu ignoré : {', '.join(unknown[:5])[:60]}.")
    lo, hi = bounds
    default_start, default_end = default_period(hi)
    default_start = max(default_start, lo)
    start = _date(_one(values, "du"), "du", notices)
    end = _date(_one(values, "au"), "au", notices)
    start = start or default_start
    end = end or default_end
    if start > end:
        notices.append("Période inversée (« du » après « au ») : période par défaut affichée.")
        start, end = default_start, default_end
    if start < lo or end > hi:
        clamped_start, clamped_end = max(start, lo), min(end, hi)
        if clamped_start > clamped_end:
            notices.append("Période hors des données disponibles : période par défaut affichée.")
            clamped_start, clamped_end = default_start, default_end
        else:
            notices.append(
                f"Période ramenée aux données disponibles ({clamped_start:%d/%m/%Y} – {clamped_end:%d/%m/%Y})."
            )
        start, end = clamped_start, clamped_end
    audience = _one(values, "public") or None
    if audience is not None and audience not in AUDIENCES:
        notices.append("Public inconnu ignoré (valeurs possibles : etudiant, employeur).")
        audience = None
    filters = Filters(
        start=start, end=end,
        departements=_codes(_one(values, "dep"), valid_departements, "département", notices),
        audience=audience,
        contracts=_codes(_one(values, "contrat"), valid_contracts, "type de contrat", notices),
    )
    return filters, notices


def to_query(f: Filters) -> str:
    """URL query string of ``f`` (leading '?'); empty filters are left out."""
    params = {"du": f.start.isoformat(), "au": f.end.isoformat()}
    if f.departements:
        params["dep"] = ",".join(f.departements)
    if f.audience:
        params["public"] = f.audience
    if f.contracts:
        params["contrat"] = ",".join(f.contracts)
    return "?" + urlencode(params, safe=",")


def _scope_clauses(f: Filters, alias: str, prefix: str, *, contracts: bool) -> tuple[list[str], dict]:
    clauses: list[str] = []
    params: dict = {}
    if f.departements:
        clauses.append(f"{alias}.departement = ANY(${prefix}dep)")
        params[f"{prefix}dep"] = list(f.departements)
    if f.audience:
        clauses.append(f"{alias}.audience = ${prefix}public")
        params[f"{prefix}public"] = f.audience
    if contracts and f.contracts:
        clauses.append(f"{alias}.contract_category = ANY(${prefix}contrat)")
        params[f"{prefix}contrat"] = list(f.contracts)
    return clauses, params


def dossier_scope(f: Filters, alias: str = "d", prefix: str = "") -> tuple[str, dict]:
    """SQL condition for the department / audience / contract filters only (no period)."""
    clauses, params = _scope_clauses(f, alias, prefix, contracts=True)
    return " AND ".join(clauses) or "TRUE", params


def dossier_where(f: Filters, date_col: str, alias: str = "d", prefix: str = "") -> tuple[str, dict]:
    """SQL condition selecting dossiers of ``f`` whose ``date_col`` falls in the period.

    ``date_col`` must be one of ``DOSSIER_DATE_COLUMNS``; ``prefix`` namespaces the parameters so a
    query can combine a period and its previous period.
    """
    if date_col not in DOSSIER_DATE_COLUMNS:
        raise ValueError(f"colonne de date non autorisée : {date_col}")
    clauses, params = _scope_clauses(f, alias, prefix, contracts=True)
    clauses.insert(0, f"{alias}.{date_col} >= CAST(${prefix}du AS TIMESTAMP) "
                      f"AND {alias}.{date_col} < CAST(${prefix}au_next AS TIMESTAMP)")
    params[f"{prefix}du"] = f.start
    params[f"{prefix}au_next"] = f.end + timedelta(days=1)
    return " AND ".join(clauses), params


def _day_where(f: Filters, day_col: str, alias: str, prefix: str, *, contracts: bool) -> tuple[str, dict]:
    clauses, params = _scope_clauses(f, alias, prefix, contracts=contracts)
    clauses.insert(0, f"{alias}.{day_col} BETWEEN ${prefix}du AND ${prefix}au")
    params[f"{prefix}du"] = f.start
    params[f"{prefix}au"] = f.end
    return " AND ".join(clauses), params


def visit_where(f: Filters, alias: str = "v", prefix: str = "") -> tuple[str, dict]:
    """SQL condition selecting visits of ``f`` (period on ``visit_date``; the contract filter does not apply)."""
    return _day_where(f, "visit_date", alias, prefix, contracts=False)


def decisions_where(f: Filters, alias: str = "c", prefix: str = "") -> tuple[str, dict]:
    """SQL condition selecting the ``decisions_daily`` rows of ``f`` (period on ``day``, the day of decision: the
    same dossiers as ``dossier_where(f, "traite_at")``; department, audience and contract filters)."""
    return _day_where(f, "day", alias, prefix, contracts=True)


GRAINS = {"day": "1 DAY", "week": "7 DAY", "month": "1 MONTH"}   # date_trunc unit → bucket length


def buckets_cte(grain: str) -> str:
    """SQL of a ``buckets`` CTE: one row per ``grain`` bucket from the one holding ``$du`` to the one holding
    ``$au``: ``periode`` (its first day) and ``complete`` (the bucket lies entirely within the period). The query
    must bind ``$grain``, ``$du``, ``$au`` and ``$au_next``. ValueError for an unknown grain."""
    if grain not in GRAINS:
        raise ValueError(f"pas de temps inconnu : {grain}")
    step = GRAINS[grain]
    return f"""buckets AS (
            SELECT CAST(b AS DATE) AS periode,
                   CAST(b AS DATE) >= $du AND CAST(b + INTERVAL {step} AS DATE) <= $au_next AS complete
            FROM generate_series(date_trunc($grain, CAST($du AS DATE)), CAST($au AS TIMESTAMP), INTERVAL {step}) g(b)
        )"""
