"""DS dossiers → rows of the warehouse ``dossiers`` table.

:func:`parse_dossiers` turns the ``nodes`` of a GraphQL v2 ``demarche.dossiers`` page (live API or demo
payload) into a DataFrame with exactly the ``dossiers`` columns; :mod:`etl.ds.export` builds the same rows
from export files through :func:`normalise_champs` and :func:`to_paris_naive`. Only whitelisted champs are
read (see :mod:`etl.ds.champs`): nothing personal reaches the frame.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.ds import champs as ch

PARIS = ZoneInfo("Europe/Paris")
STATES = ("en_construction", "en_instruction", "accepte", "refuse", "sans_suite")
OPEN_STATES = ("en_construction", "en_instruction")
AUDIENCES = {"etudiant": "etudiant", "etudiants": "etudiant", "employeur": "employeur", "employeurs": "employeur"}
DECISION_EVENTS = {
    "accepte": "accepte", "accepte_automatiquement": "accepte", "refuse": "refuse",
    "refuse_automatiquement": "refuse", "classe_sans_suite": "sans_suite",
}
DOSSIER_COLUMNS = [
    "demarche_number", "dossier_number", "departement", "audience", "groupe_instructeur", "state", "depose_at",
    "en_construction_at", "en_instruction_at", "traite_at", "modified_at", "contract_category", "contract_label",
    "demande_type", "nationality", "apt_start", "apt_end", "hours_per_week", "archived", "source",
]
TIMESTAMP_COLUMNS = ["depose_at", "en_construction_at", "en_instruction_at", "traite_at", "modified_at"]
STAMP_FIELDS = {"depose_at": "dateDepot", "en_construction_at": "datePassageEnConstruction",
                "en_instruction_at": "datePassageEnInstruction", "traite_at": "dateTraitement",
                "modified_at": "dateDerniereModification"}
DEMARCHE_COLUMNS = ["demarche_number", "departement", "audience", "slug", "title"]


class DSFormatError(ValueError):
    """A DS payload or file that does not have the expected shape; the message says what is missing."""


# ---------------------------------------------------------------------------- démarches
@dataclass(frozen=True)
class Demarche:
    """A DS démarche followed by the ETL and what its dossiers are about."""

    number: int
    departement: str | None  # instructing department; None for a national démarche (read from the champ)
    audience: str  # 'etudiant' | 'employeur'
    slug: str | None = None  # /commencer/<slug>
    title: str | None = None


def load_demarches(path: Path | str) -> dict[int, Demarche]:
    """Read a démarches CSV (``demarche_number,departement,audience,slug,title``; ``#`` lines are comments)."""
    path = Path(path)
    try:
        lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
    except OSError as exc:
        raise DSFormatError(f"fichier des démarches illisible : {path} ({exc.strerror})") from exc
    reader = csv.DictReader(lines)
    missing = [c for c in DEMARCHE_COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise DSFormatError(f"{path.name} : colonnes manquantes : {', '.join(missing)}")
    demarches: dict[int, Demarche] = {}
    for line_no, row in enumerate(reader, start=2):
        where = f"{path.name}, ligne {line_no}"
        number_text = (row.get("demarche_number") or "").strip()
        if not number_text.isdigit():
            raise DSFormatError(f"{where} : numéro de démarche invalide : {number_text!r}")
        number = int(number_text)
        if number in demarches:
            raise DSFormatError(f"{where} : démarche {number} déjà décrite")
        dep_text = (row.get("departement") or "").strip()
        departement = ch.departement_code(dep_text) if dep_text else None
        if dep_text and departement is None:
            raise DSFormatError(f"{where} : département inconnu : {dep_text!r}")
        audience = AUDIENCES.get(ch.norm_label(row.get("audience")))
        if audience is None:
            raise DSFormatError(f"{where} : public attendu 'etudiant' ou 'employeur', pas {row.get('audience')!r}")
        demarches[number] = Demarche(
            number=number, departement=departement, audience=audience,
            slug=(row.get("slug") or "").strip() or None, title=(row.get("title") or "").strip() or None,
        )
    if not demarches:
        raise DSFormatError(f"{path.name} : aucune démarche")
    return demarches


# ---------------------------------------------------------------------------- run counters
@dataclass
class ParseStats:
    """What normalisation could not use, for the run summary."""

    dossiers: int = 0
    invalid_dates: int = 0  # APT dates that are not dates ('2018-09-013'): stored NULL
    unknown_contracts: int = 0  # contract labels matching no category: stored 'autre'
    unknown_nationalities: int = 0  # nationality answers matching no country: stored NULL
    unknown_departements: int = 0  # department answers matching no department: stored NULL
    invalid_hours: int = 0  # "Nombre d'heures" not a weekly number of hours: stored NULL

    def add(self, other: ParseStats) -> ParseStats:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def stats_of(frame: pd.DataFrame) -> ParseStats:
    """The ParseStats a parser attached to its frame."""
    return frame.attrs.get("parse_stats") or ParseStats(dossiers=len(frame))


# ---------------------------------------------------------------------------- GraphQL nodes
# A dossier node holds the fields the ETL reads and nothing else: whatever else a payload carries (the usager's
# e-mail, the demandeur's identity, champ ids…) is skipped by the decoder and never becomes a Python object.
# Values stay untyped; the parser checks them.
Champ = msgspec.defstruct("Champ", [(k, Any, None) for k in (
    "label", "stringValue", "value", "date", "departement", "pays", "integerNumber", "decimalNumber")])
DossierNode = msgspec.defstruct("DossierNode", [
    *((k, Any, None) for k in ("number", "state", "archived", "groupeInstructeur", "traitements",
                               *STAMP_FIELDS.values())),
    ("champs", list[Champ] | None, None), ("annotations", list[Champ] | None, None)])


_DossierList = msgspec.defstruct("_DossierList", [("nodes", list[DossierNode] | None, None)])
_DemarcheData = msgspec.defstruct("_DemarcheData", [("dossiers", _DossierList | None, None),
                                                    ("deletedDossiers", Any, None)])
_PageData = msgspec.defstruct("_PageData", [("demarche", _DemarcheData | None, None)])
_PAGE_JSON = msgspec.json.Decoder(msgspec.defstruct("_Page", [("data", _PageData | None, None)]))


def decode_dossier_page(body: bytes) -> tuple[list, list[int]] | None:
    """A saved ``WifDossiers`` answer → (``DossierNode`` records, deleted dossier numbers), in one C pass.

    None when the answer does not have the expected shape (missing level, node that is not an object…): the
    caller then reads it as plain JSON to report what is wrong."""
    try:
        page = _PAGE_JSON.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    demarche = page.data.demarche if page.data else None
    if demarche is None or demarche.dossiers is None or demarche.dossiers.nodes is None:
        return None
    return demarche.dossiers.nodes, deleted_numbers(demarche.deletedDossiers)


def deleted_numbers(deleted) -> list[int]:
    """Dossier numbers of a ``deletedDossiers`` answer (``{"nodes": [{"number": …}, …]}``; anything else: none)."""
    return [n["number"] for n in (deleted if isinstance(deleted, dict) else {}).get("nodes") or ()]


def as_nodes(nodes: list) -> list:
    """``nodes`` as ``DossierNode`` records: decoded ones as they are, dicts (the live client's) converted.

    A node that is not an object is a DSFormatError naming its position."""
    if all(isinstance(n, DossierNode) for n in nodes):
        return nodes
    for position, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise DSFormatError(f"dossier en position {position} : objet attendu, reçu {type(node).__name__}")
    try:
        return msgspec.convert(nodes, list[DossierNode])
    except msgspec.ValidationError as exc:
        raise DSFormatError(f"dossier mal formé : {exc}") from None


# ---------------------------------------------------------------------------- champ values
# A dossier gives each whitelisted field a tuple of inputs, annotations first (the "Date de début APT" an
# instructor granted beats the "Date de début" asked for): coded fields (department, nationality) a
# (code, text) pair per value, hours the number or else the text, other fields the text. Answers repeat a
# lot (dropdowns, countries, dates), so a batch normalises each distinct tuple once.
CODED_FIELDS = ("departement", "nationality")
TYPED_FIELDS = (*CODED_FIELDS, "hours_per_week")


def champ_input(field: str, text: str | None, typed: object) -> object:
    """What one champ value brings to ``field``: ``typed`` is its DepartementChamp/PaysChamp code or number."""
    if field in CODED_FIELDS:
        return typed, text
    if field == "hours_per_week":
        return typed if isinstance(typed, int | float) else text
    return text


def _first_text(texts: tuple) -> str | None:
    for text in texts:
        if text and text.strip():
            return text
    return None


def _contract(texts: tuple) -> tuple[tuple, int]:
    contract = _first_text(texts)
    category, known = ch.contract_category(contract)
    return (category, ch.safe_label(contract)), not known


def _demande(texts: tuple) -> tuple[tuple, int]:
    return (ch.demande_type(_first_text(texts)),), 0


def _coded(lookup):
    """Normaliser of a coded field: first value resolved from its code (validated by ``lookup``) or its text;
    unknown (counted) when something was answered and nothing resolves."""
    def normalise(pairs: tuple) -> tuple[tuple, int]:
        answered = False
        for pair in pairs:
            for candidate in pair:
                if isinstance(candidate, str) and candidate.strip():
                    answered = True
                    code = lookup(candidate)
                    if code:
                        return (code,), 0
        return (None,), answered
    return normalise


def _first_valid(parse):
    """Normaliser keeping the first value ``parse`` accepts; the invalid ones before it are counted."""
    def normalise(values: tuple) -> tuple[tuple, int]:
        invalid = 0
        for value in values:
            parsed, bad = parse(value)
            invalid += bad
            if parsed is not None:
                return (parsed,), invalid
        return (None,), invalid
    return normalise


# field → (columns it fills, ParseStats counter of its unusable answers, normaliser of its inputs)
NORMALISERS = {
    "contract": (("contract_category", "contract_label"), "unknown_contracts", _contract),
    "demande": (("demande_type",), None, _demande),
    "nationality": (("nationality",), "unknown_nationalities", _coded(ch.country_code)),
    "departement": (("champ_departement",), "unknown_departements", _coded(ch.departement_code)),
    "apt_start": (("apt_start",), "invalid_dates", _first_valid(ch.parse_date)),
    "apt_end": (("apt_end",), "invalid_dates", _first_valid(ch.parse_date)),
    "hours_per_week": (("hours_per_week",), "invalid_hours", _first_valid(ch.parse_hours)),
}


def normalise_champs(inputs: list[dict[str, tuple]], stats: ParseStats) -> dict[str, list]:
    """Columns contract_*, demande_type, nationality, apt_*, hours_per_week and champ_departement of dossiers
    given as field → tuple of inputs (:func:`champ_input`); each distinct tuple is normalised once."""
    columns: dict[str, list] = {}
    for field, (names, counter, normalise) in NORMALISERS.items():
        keys = [row.get(field, ()) for row in inputs]
        results = {key: normalise(key) for key in dict.fromkeys(keys)}
        if counter:
            unusable = {key: count for key, (_, count) in results.items()}
            setattr(stats, counter, getattr(stats, counter) + sum(map(unusable.__getitem__, keys)))
        for i, name in enumerate(names):
            column = {key: values[i] for key, (values, _) in results.items()}
            columns[name] = list(map(column.__getitem__, keys))
    return columns


def champ_inputs(node) -> dict[str, tuple]:
    """Inputs of the whitelisted champs and annotations of a ``DossierNode``, annotations first (personal champs
    are never read)."""
    out: dict[str, tuple] = {}
    field_for_label = ch.field_for_label
    for champs in (node.annotations, node.champs):
        for champ in champs or ():
            mapped = field_for_label(champ.label)
            if mapped is not None:
                field = mapped[0]
                text = champ.stringValue if isinstance(champ.stringValue, str) else _champ_text(champ)
                value = champ_input(field, text, _champ_typed(champ)) if field in TYPED_FIELDS else text
                out[field] = (*out[field], value) if field in out else (value,)
    return out


def _champ_text(champ) -> str | None:
    """stringValue, else a text ``value`` or ISO ``date`` (payloads that only carry the typed value)."""
    for value in (champ.stringValue, champ.value, champ.date):
        if isinstance(value, str):
            return value
    return None


def _champ_typed(champ) -> object:
    for coded in (champ.departement, champ.pays):
        if isinstance(coded, dict):
            return coded.get("code")
    for key, value in (("integerNumber", champ.integerNumber), ("decimalNumber", champ.decimalNumber),
                       ("value", champ.value)):   # GraphQL BigInt arrives as a string
        if isinstance(value, str) and key != "value":
            try:
                value = float(value)
            except ValueError:
                continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


# ---------------------------------------------------------------------------- timestamps
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_CLEAN_AWARE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$"   # as DS's GraphQL sends


def to_paris_naive(values: Iterable[object], column: str = "date") -> pd.Series:
    """ISO 8601 strings (offset → converted; none → already Paris time), datetimes or dates → naive Paris time."""
    values = list(values)
    if _clean_aware(values):
        try:   # the common case (GraphQL answers) in one vectorised conversion; a bad value is reported below
            stamps = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601")
            return stamps.dt.tz_convert(PARIS).dt.tz_localize(None).astype("datetime64[us]")
        except (ValueError, TypeError):
            pass
    series = pd.Series(values, dtype="object")
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    present = series.notna() & (series.astype(str).str.strip() != "")
    if not present.any():
        return out
    text = series[present].map(_iso_text)
    aware = text.str.contains(_OFFSET, regex=True)
    try:
        if aware.any():
            converted = pd.to_datetime(text[aware], utc=True, format="ISO8601")
            out[aware[aware].index] = converted.dt.tz_convert(PARIS).dt.tz_localize(None).astype("datetime64[us]")
        naive = ~aware
        if naive.any():
            out[naive[naive].index] = pd.to_datetime(text[naive], format="ISO8601").astype("datetime64[us]")
    except (ValueError, TypeError) as exc:
        bad = next((t for t in text if _not_iso(t)), text.iloc[0])
        raise DSFormatError(f"{column} : horodatage illisible {bad!r}") from exc
    return out


def _clean_aware(values: list) -> bool:
    """True when ``values`` are text or None, some text, all of it ISO 8601 with seconds and an offset."""
    try:
        text = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return text.null_count < len(text) and pc.all(pc.match_substring_regex(text, _CLEAN_AWARE)).as_py()


def _iso_text(value: object) -> str:
    """Datetime objects as ISO text; '13/09/2018 10:12' and '2018-09-13 10:12:00 +0200' as ISO 8601."""
    if isinstance(value, datetime | date):  # pd.Timestamp is a datetime
        return value.isoformat()
    text = " ".join(str(value).split())
    if len(text) >= 10 and text[2] == "/" and text[5] == "/":  # dd/mm/yyyy[ hh:mm[:ss]]
        text = f"{text[6:10]}-{text[3:5]}-{text[0:2]}{text[10:]}"
    if len(text) > 19 and text[-5] in "+-" and text[-6] == " ":  # Ruby's Time#to_s '… +0200'
        text = text[:-6] + text[-5:]
    elif text.endswith(" UTC"):  # Ruby's '2018-06-30 21:45:00 UTC'
        text = text[:-4] + "Z"
    return text


def _not_iso(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return True
    return False


# ---------------------------------------------------------------------------- dossiers
def parse_dossiers(nodes: list, demarche: Demarche) -> pd.DataFrame:
    """GraphQL ``Dossier`` nodes (``DossierNode`` records or dicts) → ``dossiers`` rows (source 'graphql');
    ``frame.attrs['parse_stats']``."""
    nodes = as_nodes(nodes)
    stats = ParseStats(dossiers=len(nodes))
    numbers, states, archived, groupes, inputs = [], [], [], [], []
    stamps = {c: [] for c in TIMESTAMP_COLUMNS}
    for position, node in enumerate(nodes):
        number, state = _required(node, position)
        numbers.append(number)
        states.append(state)
        archived.append(bool(node.archived))
        groupe = node.groupeInstructeur
        groupes.append(groupe.get("label") if isinstance(groupe, dict) else None)
        inputs.append(champ_inputs(node))
        stamps["depose_at"].append(node.dateDepot)
        stamps["en_construction_at"].append(node.datePassageEnConstruction)
        stamps["en_instruction_at"].append(node.datePassageEnInstruction)
        stamps["modified_at"].append(node.dateDerniereModification)
        stamps["traite_at"].append(None if state in OPEN_STATES else _decision_date(node, state))
    columns = normalise_champs(inputs, stats)
    columns.update(dossier_number=numbers, state=states, archived=archived, groupe_instructeur=groupes)
    frame = dossier_frame(columns, demarche, source="graphql")
    flat = [v for values in stamps.values() for v in values]
    try:
        converted = to_paris_naive(flat, "dates").to_numpy()
    except DSFormatError:
        i = next(i for i, v in enumerate(flat) if v is not None and _not_iso(_iso_text(v)))
        column, number = list(stamps)[i // len(numbers)], numbers[i % len(numbers)]
        raise DSFormatError(f"dossier n° {number} : {STAMP_FIELDS[column]} illisible {flat[i]!r}") from None
    for i, column in enumerate(stamps):  # one conversion for the five columns: pages are small
        frame[column] = converted[i * len(numbers):(i + 1) * len(numbers)]
    frame = frame[DOSSIER_COLUMNS]
    frame.attrs["parse_stats"] = stats
    return frame


def _required(node, position: int) -> tuple[int, str]:
    for key in ("number", "state", "dateDepot"):
        if getattr(node, key) in (None, ""):
            label = f"dossier n° {node.number}" if node.number else f"dossier en position {position}"
            raise DSFormatError(f"{label} : champ « {key} » absent de la réponse DS")
    if node.state not in STATES:
        raise DSFormatError(f"dossier n° {node.number} : état inconnu {node.state!r}")
    try:
        return int(node.number), node.state
    except (TypeError, ValueError) as exc:
        raise DSFormatError(f"dossier en position {position} : numéro invalide {node.number!r}") from exc


def _decision_date(node, state: str) -> str | None:
    """dateTraitement, else the latest traitement whose event gives the dossier its current state."""
    if node.dateTraitement:
        return node.dateTraitement
    dates = [t.get("dateTraitement") for t in node.traitements or () if isinstance(t, dict)
             and DECISION_EVENTS.get(t.get("event")) == state and t.get("dateTraitement")]
    return max(dates, key=lambda d: pd.Timestamp(d)) if dates else None


def dossier_frame(columns: dict[str, list], demarche: Demarche, *, source: str) -> pd.DataFrame:
    """Columns from the champs (:func:`normalise_champs`), dossier_number, state, archived and groupe_instructeur →
    the dossiers frame (department from the démarche, else from the champ)."""
    frame = pd.DataFrame({c: columns.get(c) for c in DOSSIER_COLUMNS if c not in TIMESTAMP_COLUMNS}
                         | {"champ_departement": columns["champ_departement"]})
    frame["demarche_number"] = demarche.number
    frame["dossier_number"] = frame["dossier_number"].astype("int64")
    frame["departement"] = demarche.departement if demarche.departement else frame["champ_departement"]
    frame["audience"] = demarche.audience
    frame["source"] = source
    frame["archived"] = frame["archived"].fillna(False).astype(bool)
    frame["hours_per_week"] = frame["hours_per_week"].astype("float64")
    for column in ch.DATE_FIELDS:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame.drop(columns="champ_departement")


def latest_per_dossier(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (démarche, dossier): the most recently modified (a dossier can show up on two pages)."""
    ordered = frame.sort_values("modified_at", kind="stable", na_position="first")
    return ordered.drop_duplicates(["demarche_number", "dossier_number"], keep="last").sort_index()
