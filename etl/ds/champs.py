"""DS champ labels → warehouse fields, and the normalisers of their values.

Labels are matched through ``etl/reference/champ_aliases.csv`` (``field,origin,label``): one row per label
variant seen over WIF's life, compared after :func:`norm_label` (case, accents, curly/straight apostrophes,
dashes, spaces and a trailing ``:``/``*``/``?`` do not matter). A label absent from the table is ignored:
this whitelist is the privacy filter of the DS loaders (Nom, Prénom, e-mail, téléphone, naissance,
adresse, employeur, numéro de titre de séjour, motivation, salaire, emploi occupé… are never read).
``origin`` says where DS holds the label: ``champ`` (form filled by the applicant) or ``annotation``
(instructors' private annotations). When a dossier has a valid value under both, the annotation wins
(the "Date de début APT" an instructor granted beats the "Date de début" asked for).

``etl/reference/countries.csv`` (``iso2,name_fr,aliases``) was generated once from pycountry 26.2.16
(Debian iso-codes French translations — the list DS itself uses for ``PaysChamp``): ``name_fr`` is the
common French name, ``aliases`` (``|``-separated) the official ISO forms, old spellings (Birmanie,
Swaziland, Zaïre…) and frequent demonyms of free-text answers. Kosovo (XK) is added as DS does.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
FIELDS = ("departement", "contract", "demande", "nationality", "apt_start", "apt_end", "hours_per_week")
DATE_FIELDS = ("apt_start", "apt_end")
ORIGINS = ("champ", "annotation")
CONTRACT_CATEGORIES = ("apprentissage", "professionnalisation", "cdd", "cdi", "doctorat", "ater", "interne", "autre")
MAX_HOURS_PER_WEEK = 60.0  # legal weekly maximum; above it the answer is not weekly hours (monthly, yearly…)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "–": "-", "—": "-", "‑": "-"})


def _ascii_lower(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def norm_label(label: str | None) -> str:
    """Comparison key of a champ label: 'Nationalité :' and 'NATIONALITE' give the same key."""
    text = " ".join(_ascii_lower(label or "").split())
    return text.rstrip(" :*?").strip()


def _norm_words(text: str) -> str:
    """Letters and digits only, single spaces: the key used for country and department names."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", _ascii_lower(text)).split())


# ---------------------------------------------------------------------------- alias table
@cache
def alias_table(path: Path = REFERENCE_DIR / "champ_aliases.csv") -> dict[str, tuple[str, str]]:
    """Normalised label → (field, origin). Raises on an unknown field or a label claimed by two fields."""
    table: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            field, origin, key = row["field"], row["origin"], norm_label(row["label"])
            if field not in FIELDS or origin not in ORIGINS:
                raise ValueError(f"{path.name} : champ ou origine inconnu(e) : {field!r}, {origin!r}")
            if key in table and table[key] != (field, origin):
                raise ValueError(f"{path.name} : le libellé {row['label']!r} est attribué deux fois")
            table[key] = (field, origin)
    return table


@cache
def field_for_label(label: str | None) -> tuple[str, str] | None:
    """(field, origin) of a champ label, or None for a label that is not read (personal or irrelevant)."""
    return alias_table().get(norm_label(label))


@cache
def _alias_words() -> dict[str, tuple[str, str]]:
    return {_norm_words(key): value for key, value in alias_table().items()}


@cache
def field_for_header(header: str | None) -> tuple[str, str] | None:
    """Like :func:`field_for_label`, also for 2018 export headers where labels became snake_case
    (``nombre_d_heures`` for "Nombre d'heures")."""
    return field_for_label(header) or _alias_words().get(_norm_words(header or ""))


# ---------------------------------------------------------------------------- departments
@cache
def _departements() -> tuple[frozenset[str], dict[str, str]]:
    with open(REFERENCE_DIR / "departements.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return frozenset(r["code"] for r in rows), {_norm_words(r["name"]): r["code"] for r in rows}


_DEP_CODE = re.compile(r"^\s*(\d{1,3}|2[AaBb])\s*(?:$|[-–—:,]|\s)")


@cache
def departement_code(value: str | None) -> str | None:
    """'75 - Paris', '75 – Paris', '75', '2A', 'Paris', 'SEINE-SAINT-DENIS' → INSEE code; None if unknown."""
    if not value or not value.strip():
        return None
    codes, names = _departements()
    match = _DEP_CODE.match(value)
    if match:
        code = match.group(1).upper()
        code = code.zfill(2) if code.isdigit() and len(code) < 2 else code
        return code if code in codes else None
    return names.get(_norm_words(value))


# ---------------------------------------------------------------------------- contracts
# Ordered: the first rule matching the normalised label wins ("contrat doctoral (CDD)" is a doctorat,
# "CDD d'ATER" an ATER, "apprentissage en CDI" an apprentissage, a post-doctorat a CDD).
_CONTRACT_RULES = [
    ("apprentissage", r"apprenti"),
    ("professionnalisation", r"professionnali|\bpro\b"),
    ("cdd", r"post[- ]?doc"),
    ("doctorat", r"doctora|cifre|\bthese\b|formation par la recherche"),
    ("ater", r"\bater\b|attache temporaire"),
    ("interne", r"\binternes?\b|\binternat\b|\bffi\b|\bdfmsa?\b"),
    ("cdd", r"\bcdd\b|duree determinee"),
    ("cdi", r"\bcdi\b|duree indeterminee"),
    ("autre", r"^autres?\b"),
]
_CONTRACT_PATTERNS = [(code, re.compile(pattern)) for code, pattern in _CONTRACT_RULES]


@cache
def contract_category(label: str | None) -> tuple[str | None, bool]:
    """(category, recognised) of a raw "Type de contrat" value; unrecognised labels are ('autre', False).

    An empty value is (None, True): no contract given is not an unknown contract.
    """
    text = " ".join(_ascii_lower(label or "").split())
    if not text:
        return None, True
    for code, pattern in _CONTRACT_PATTERNS:
        if pattern.search(text):
            return code, True
    return "autre", False


_PERSONAL_HINT = re.compile(r"@|\d[\d .-]{5,}\d|https?://")


def safe_label(value: str | None, limit: int = 120) -> str | None:
    """A raw option label fit to keep: None when empty or when it looks like personal data (e-mail, phone)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text or _PERSONAL_HINT.search(text):
        return None
    return text[:limit]


# ---------------------------------------------------------------------------- demande
@cache
def demande_type(value: str | None) -> str | None:
    """'Première demande' → 'premiere', 'Renouvellement' / 'Prolongation' → 'renouvellement', else None."""
    text = _norm_words(value or "")
    if re.search(r"renouvel|prolong", text):
        return "renouvellement"
    if re.search(r"premiere|1ere|1re|nouvelle demande|initiale", text):
        return "premiere"
    return None


# ---------------------------------------------------------------------------- countries
@cache
def _countries() -> tuple[frozenset[str], dict[str, str]]:
    codes, index = set(), {}
    with open(REFERENCE_DIR / "countries.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            codes.add(row["iso2"])
            for name in [row["name_fr"], *filter(None, row["aliases"].split("|"))]:
                index[_norm_words(name)] = row["iso2"]
    return frozenset(codes), index


_ARTICLE = re.compile(r"^(l|la|le|les) ")


@cache
def country_code(value: str | None) -> str | None:
    """ISO-2 code of a country given as 'MA', 'Maroc', 'MAROC', 'Côte d’Ivoire', 'marocaine'…; None if unknown."""
    if not value or not value.strip():
        return None
    codes, index = _countries()
    text = value.strip()
    if len(text) == 2 and text.upper() in codes:
        return text.upper()
    key = _norm_words(text)
    return index.get(key) or index.get(_ARTICLE.sub("", key))


# ---------------------------------------------------------------------------- dates and numbers
_MONTHS = {m: i for i, m in enumerate(
    ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
     "decembre"], start=1)}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[t ].*)?$")  # text is lower-cased
_FR_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_FR_LONG = re.compile(r"^(\d{1,2})(?:er)? ([a-z]+) (\d{4})$")
MIN_DATE, MAX_DATE = date(1990, 1, 1), date(2100, 12, 31)


@cache
def parse_date(value: str | None) -> tuple[date | None, bool]:
    """(date, invalid) of a DS date value: ISO '2018-09-13', '13/09/2018' or DS's '13 septembre 2018'.

    Anything else that is not empty ('2018-09-013', '31/02/2019', '13 sept') is (None, True) so the caller
    can count it. Dates outside 1990–2100 are typing errors and count as invalid too.
    """
    text = " ".join(_ascii_lower(value or "").split())
    if not text:
        return None, False
    parts = None
    if match := _ISO_DATE.match(text):
        parts = int(match[1]), int(match[2]), int(match[3])
    elif match := _FR_NUMERIC.match(text):
        parts = int(match[3]), int(match[2]), int(match[1])
    elif (match := _FR_LONG.match(text)) and match[2] in _MONTHS:
        parts = int(match[3]), _MONTHS[match[2]], int(match[1])
    if parts is None:
        return None, True
    try:
        day = date(*parts)
    except ValueError:
        return None, True
    return (day, False) if MIN_DATE <= day <= MAX_DATE else (None, True)


_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")


@cache
def parse_hours(value: str | float | int | None) -> tuple[float | None, bool]:
    """(hours per week, invalid) from 35, '35', '35h', '35 heures', '17,5 h/semaine'.

    Text without a number, or a number outside (0, 60] (monthly hours such as 151,67 …) is (None, True).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, int | float):
        hours = float(value)
    else:
        match = _NUMBER.search(value)
        if not match:
            return None, True
        hours = float(match[1].replace(",", "."))
    return (hours, False) if 0 < hours <= MAX_HOURS_PER_WEEK else (None, True)
