"""Scan every column of a built warehouse for personal data.

Two nets: patterns (e-mails, phone numbers, IP addresses, visitor ids, coordinates, query strings outside the
whitelist) over every text column, and exact look-ups of the personal values the raw payloads contained.
Column names that betray a personal field fail the scan too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

PATTERNS = {
    "e-mail": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "téléphone": r"(\+33|0033|\b0)[1-9]([ .-]?[0-9]{2}){4}\b",
    "adresse IP": r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b",
    "identifiant visiteur": r"\b[0-9a-f]{16}\b",
    "fragment d'URL": r"https?://[^ ]*#",
}
ALLOWED_QUERY_PARAMS = ["departement", "department", "link", "user"]
FORBIDDEN_COLUMN_WORDS = (
    "nom", "prenom", "email", "mail", "phone", "telephone", "naissance", "birth", "adresse", "address",
    "ip", "visitorid", "fingerprint", "latitude", "longitude", "city", "ville", "titre_sejour", "motivation",
    "employeur_nom", "siret", "user_id",
)


def _text_columns(con) -> list[tuple[str, str]]:
    return con.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_catalog <> 'temp' AND table_schema = 'main' AND data_type = 'VARCHAR'
           ORDER BY table_name, column_name"""
    ).fetchall()


def scan(db_path: Path, personal_values: set[str] = frozenset()) -> list[str]:
    """Findings, one French line each; an empty list means the warehouse is clean."""
    findings: list[str] = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog <> 'temp' AND table_schema = 'main'"
        ).fetchall()
        for table, column in columns:
            name = column.lower()
            if name in FORBIDDEN_COLUMN_WORDS or any(w in name.split("_") for w in FORBIDDEN_COLUMN_WORDS) \
                    or name.replace("_", "") in ("visitorid", "userid"):
                findings.append(f"colonne suspecte {table}.{column}")
        values = sorted(v for v in personal_values if v and len(v) >= 4)
        con.execute("CREATE TEMP TABLE personal(v VARCHAR)")
        if values:
            con.executemany("INSERT INTO personal VALUES (?)", [(v,) for v in values])
        for table, column in _text_columns(con):
            if table == "ref_countries" or table.startswith("ref_") or table == "calendar":
                continue  # reference data shipped with the code
            for label, pattern in PATTERNS.items():
                hit = con.execute(
                    f'SELECT "{column}" FROM "{table}" WHERE regexp_matches("{column}", ?) LIMIT 1', [pattern]
                ).fetchone()
                if hit:
                    findings.append(f"{label} dans {table}.{column} : {hit[0][:80]!r}")
            hit = con.execute(
                f'SELECT "{column}" FROM "{table}" WHERE len(list_filter('
                f'regexp_extract_all("{column}", \'[?&]([^=&#]+)=\', 1), lambda x: NOT list_contains(?, x))) > 0 '
                'LIMIT 1',
                [ALLOWED_QUERY_PARAMS],
            ).fetchone()
            if hit:
                findings.append(f"paramètre d'URL non autorisé dans {table}.{column} : {hit[0][:80]!r}")
            hit = con.execute(
                f'SELECT t."{column}" FROM "{table}" t JOIN personal p ON t."{column}" = p.v LIMIT 1'
            ).fetchone()
            if hit:
                findings.append(f"valeur personnelle de la source dans {table}.{column} : {hit[0][:80]!r}")
    finally:
        con.close()
    return findings
