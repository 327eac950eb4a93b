"""DS export files (CSV or XLSX, 2018-era and current headers) → rows of the ``dossiers`` table.

Columns are matched by header name, never by position. Only the dossier metadata columns below and the
champ columns of the alias table are read; every other column (Email, Civilité, Nom, Prénom, Date de
naissance, Motivation de la décision, Instructeurs, personal champs…) is skipped cell by cell and never
reaches the frame.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from etl.ds import champs as ch
from etl.ds.parse import (
    DOSSIER_COLUMNS,
    Demarche,
    DSFormatError,
    ParseStats,
    champ_input,
    dossier_frame,
    normalise_champs,
    to_paris_naive,
)

# Metadata columns per header generation: warehouse column → header; the first three are required.
GENERATIONS = {
    "actuelle": {
        "dossier_number": "ID", "state": "État du dossier", "depose_at": "Déposé le",
        "en_instruction_at": "Passé en instruction le", "traite_at": "Traité le",
        "modified_at": "Dernière mise à jour le", "archived": "À archiver", "groupe_instructeur": "Groupe instructeur",
    },
    "2018": {
        "dossier_number": "id", "state": "state", "depose_at": "initiated_at",
        "en_instruction_at": "received_at", "traite_at": "processed_at", "modified_at": "updated_at",
        "archived": "archived", "created_at": "created_at",
    },
}
REQUIRED = ("dossier_number", "state", "depose_at")
STATE_LABELS = {
    "en construction": "en_construction", "en instruction": "en_instruction", "accepte": "accepte",
    "refuse": "refuse", "classe sans suite": "sans_suite", "sans suite": "sans_suite",
    # REST v1 / 2018 exports
    "initiated": "en_construction", "received": "en_instruction", "closed": "accepte", "refused": "refuse",
    "without_continuation": "sans_suite",
    # GraphQL names
    "en_construction": "en_construction", "en_instruction": "en_instruction", "sans_suite": "sans_suite",
}
DRAFT_STATES = {"brouillon", "draft"}
TRUE_TEXT = {"true", "vrai", "oui", "1", "x", "yes"}
CODE_SUFFIX = re.compile(r"\s*\(code\)\s*$", re.IGNORECASE)


def read_export(path: Path, demarches: dict[int, Demarche], demarche_number: int | None = None) -> pd.DataFrame:
    """Rows of a DS export file as ``dossiers`` (source 'export'); ``frame.attrs['parse_stats']``.

    The démarche is ``demarche_number``, else the one whose slug or number appears in the file name.
    Raises DSFormatError (nothing read) for an unsupported file or missing required columns.
    """
    path = Path(path)
    demarche = _demarche_for(path, demarches, demarche_number)
    header, rows = _read_table(path)
    generation, meta = _meta_columns(path, header)
    champ_columns = _champ_columns(header, set(meta.values()))
    stats = ParseStats()
    inputs, stamps, states = [], {c: [] for c in ("depose_at", "en_instruction_at", "traite_at", "modified_at",
                                                    "created_at")}, set()
    rows_columns = {"dossier_number": [], "state": [], "archived": [], "groupe_instructeur": []}
    for row in rows:
        def cell(column: str, row: list = row) -> object:
            index = meta.get(column)
            return None if index is None or index >= len(row) else row[index]

        if not _text(cell("dossier_number")):
            continue  # blank line at the end of a sheet
        state_text = ch.norm_label(_text(cell("state")))
        if state_text in DRAFT_STATES:
            continue
        state = STATE_LABELS.get(state_text)
        if state is None:
            states.add(_text(cell("state")) or "")
            continue
        champs: dict[str, tuple] = {}
        for i, field, is_code in champ_columns:
            value = champ_input(field, _text(row[i]) if i < len(row) else None, _typed(row, i, is_code))
            champs[field] = (*champs.get(field, ()), value)
        inputs.append(champs)
        rows_columns["dossier_number"].append(_number(cell("dossier_number"), path))
        rows_columns["state"].append(state)
        rows_columns["archived"].append(_text(cell("archived")).lower() in TRUE_TEXT if cell("archived") else False)
        rows_columns["groupe_instructeur"].append(_text(cell("groupe_instructeur")) or None)
        for column in stamps:
            stamps[column].append(cell(column))
    if states:
        raise DSFormatError(f"{path.name} : état(s) de dossier inconnu(s) : {', '.join(sorted(states))}")
    stats.dossiers = len(inputs)
    frame = dossier_frame(normalise_champs(inputs, stats) | rows_columns, demarche, source="export")
    for column in ("en_instruction_at", "traite_at", "modified_at"):
        frame[column] = to_paris_naive(stamps[column], f"{path.name}, {GENERATIONS[generation][column]}")
    depose = to_paris_naive(stamps["depose_at"], f"{path.name}, {GENERATIONS[generation]['depose_at']}")
    if generation == "2018":  # initiated_at is the dépôt (passage en construction); created_at the draft
        depose = depose.fillna(to_paris_naive(stamps["created_at"], f"{path.name}, created_at"))
        frame["en_construction_at"] = depose
    else:
        frame["en_construction_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    frame["depose_at"] = depose
    frame.loc[frame["state"].isin(["en_construction", "en_instruction"]), "traite_at"] = pd.NaT
    frame = frame[DOSSIER_COLUMNS]
    frame.attrs["parse_stats"] = stats
    return frame


# ---------------------------------------------------------------------------- file reading
def _read_table(path: Path) -> tuple[list[str], list[list]]:
    """Header and rows of the first sheet ('Dossiers' when present) or of the CSV."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DSFormatError(f"fichier introuvable : {path}")
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".ods", ".xls"):
        raise DSFormatError(f"{path.name} : format {suffix[1:].upper()} non pris en charge, exporter en CSV ou XLSX")
    raise DSFormatError(f"{path.name} : type de fichier non pris en charge (attendu .csv ou .xlsx)")


def _read_xlsx(path: Path) -> tuple[list[str], list[list]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DSFormatError(f"{path.name} : classeur XLSX illisible ({type(exc).__name__})") from None
    try:
        sheet = book["Dossiers"] if "Dossiers" in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_text(h) for h in next(rows, ())]
        return header, [list(r) for r in rows]
    finally:
        book.close()


def _read_csv(path: Path) -> tuple[list[str], list[list]]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] or raw[:2] == b"PK":
        raise DSFormatError(f"{path.name} : ce n'est pas un fichier CSV (contenu binaire)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    return header, list(reader)


# ---------------------------------------------------------------------------- columns
def _meta_columns(path: Path, header: list[str]) -> tuple[str, dict[str, int]]:
    """Best-matching header generation and warehouse column → index; error naming missing columns."""
    keys = {}
    for index, name in enumerate(header):
        keys.setdefault(ch.norm_label(name), index)
    found = {gen: {col: keys[ch.norm_label(h)] for col, h in spec.items() if ch.norm_label(h) in keys}
             for gen, spec in GENERATIONS.items()}
    generation = max(found, key=lambda g: (sum(c in found[g] for c in REQUIRED), len(found[g])))
    missing = [GENERATIONS[generation][c] for c in REQUIRED if c not in found[generation]]
    if missing:
        raise DSFormatError(
            f"{path.name} : colonnes obligatoires absentes : {', '.join(missing)} "
            f"(export DS, génération « {generation} » ; rien n'a été chargé)"
        )
    return generation, found[generation]


def _champ_columns(header: list[str], taken: set[int]) -> list[tuple[int, str, bool]]:
    """(index, field, is_code) of the whitelisted champ columns, annotation columns first (an instructor's value
    beats the applicant's); '<label> (Code)' columns are codes."""
    out = []
    for index, name in enumerate(header):
        if index in taken or not name:
            continue
        is_code = bool(CODE_SUFFIX.search(name))
        mapped = ch.field_for_header(CODE_SUFFIX.sub("", name) if is_code else name)
        if mapped:
            out.append((mapped[1] != "annotation", index, mapped[0], is_code))
    return [column[1:] for column in sorted(out, key=lambda column: column[0])]


# ---------------------------------------------------------------------------- cells
def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _typed(row: list, index: int, is_code: bool) -> object:
    value = row[index] if index < len(row) else None
    if is_code:
        return _text(value) or None
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _number(value: object, path: Path) -> int:
    text = _text(value)
    if not text.isdigit():
        raise DSFormatError(f"{path.name} : numéro de dossier invalide {text!r}")
    return int(text)


def _demarche_for(path: Path, demarches: dict[int, Demarche], number: int | None) -> Demarche:
    if number is not None:
        if number not in demarches:
            raise DSFormatError(f"démarche {number} absente du fichier des démarches")
        return demarches[number]
    name = path.name.lower()
    for demarche in sorted(demarches.values(), key=lambda d: -len(d.slug or "")):
        if demarche.slug and demarche.slug.lower() in name:
            return demarche
    numbers = {int(n) for n in re.findall(r"\d+", name)} & set(demarches)
    if len(numbers) == 1:
        return demarches[numbers.pop()]
    raise DSFormatError(f"{path.name} : démarche non reconnue dans le nom du fichier, préciser --demarche NUMÉRO")
