"""The monthly report as files: an XLSX workbook (one sheet per section) and a CSV, per department or for all.

``python -m etl report --month AAAA-MM [--departement NN] --out DIR`` calls ``write_report`` after pointing the
metrics layer at the warehouse. Files are named like the back office's: ``WIF_AAAA-MM_udNN.xlsx`` for a
department, ``WIF_AAAA-MM_national.xlsx`` for all departments (the whole country, then each department, in
every sheet); without ``--departement`` the command writes the national files and one pair per department, ready
to be sent to each unit. The same tables are shown by the Rapports page (``report_sections``).

Every sheet starts with the same header (report, section, period, department, generation date, source and data
date), then a table whose values are numbers (formatted in the workbook, raw in the CSV). The CSV is one tidy
table for French spreadsheets (``;``, decimal comma, UTF-8 with BOM): ``departement, section, rang, libelle,
unite, periode, valeur``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from components import format as fmt
from metrics import meta, reports

SOURCE = "Démarches Simplifiées (entrepôt WIF stats)"
TITLE = "Work in France — rapport mensuel d'activité"
TABLE_ROW = 9                   # row of the table header in every sheet (1-based)
ALL = "Tous les départements"
SHEETS = {"synthese": "Synthèse", "accepte_long": "Acceptés APT ≥ 91 j", "accepte_court": "Acceptés APT < 91 j",
          "refuse": "Refusés", "sans_suite": "Classés sans suite"}
EVOLUTION_NOTE = ("Évolutions : en % pour les nombres de dossiers, en jours pour les délais, en points pour le "
                  "taux de refus ; vide quand la valeur de comparaison manque ou vaut 0.")
# XLSX number formats per unit of the summary, for values and for evolutions.
VALUE_FORMATS = {"dossiers": "#,##0", "taux": "0.0%", "jours ouvrés": "0.0", "jours calendaires": "0.0"}
EVOLUTION_FORMATS = {"dossiers": "+0.0%;-0.0%;0.0%", "taux": '+0.0" pt";-0.0" pt";0.0" pt"',
                     "jours ouvrés": '+0.0" j";-0.0" j";0.0" j"', "jours calendaires": '+0.0" j";-0.0" j";0.0" j"'}
HEADER_FILL = PatternFill("solid", fgColor="E3E3FD")


@dataclass(frozen=True)
class Section:
    """One section of the report: a sheet of the workbook, a block of the page."""

    key: str                 # 'synthese' or a category of ``metrics.reports.CATEGORIES``
    sheet: str               # sheet name (31 characters at most)
    title: str
    table: pd.DataFrame      # French column headers, raw values
    units: pd.Series | None = None   # unit of each row (summary only)


def normalise_departement(code: str | None) -> str | None:
    """``"ud75"``, ``"75"`` → ``"75"``; None or empty → None (all departments)."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip().upper()
    return code[2:] if code.startswith("UD") else code


def file_stem(month, departement: str | None) -> str:
    """``WIF_2025-03_ud75`` or ``WIF_2025-03_national``."""
    return f"WIF_{reports.parse_month(month):%Y-%m}_{f'ud{departement}' if departement else 'national'}"


def _names() -> dict[str, str]:
    options = meta.departement_options()
    return dict(zip(options.code, options.name, strict=True))


def scope_label(scope: str | None, names: dict[str, str] | None = None) -> str:
    """``75 – Paris``; ``Tous les départements`` for None or the national scope."""
    if scope in (None, reports.NATIONAL):
        return ALL
    names = _names() if names is None else names
    return f"{scope} – {names.get(scope, scope)}"


def report_scopes(month, departement: str | None) -> list[str]:
    """Scopes of a report: the department, or the whole country then every department covered by ``month``."""
    if departement:
        return [departement]
    return [reports.NATIONAL, *reports.report_departements(month).code]


def _month_label(start) -> str:
    return fmt.fmt_month(start)


def _summary_table(month, scopes: list[str], names: dict[str, str]) -> tuple[pd.DataFrame, pd.Series]:
    summary = reports.report_summaries(month, scopes)
    months = reports.comparison_months(month)
    rate = summary.unit == "taux"
    for column in ("evolution_mois", "evolution_annee"):
        summary[column] = summary[column].where(~rate, summary[column] * 100)     # rate differences in points
    table = pd.DataFrame({
        "Département": summary.scope.map(lambda s: scope_label(s, names)),
        "Indicateur": summary.label, "Unité": summary.unit,
        **{_month_label(start): summary[key] for key, start in months.items()},
        "Évolution sur un mois": summary.evolution_mois, "Évolution sur un an": summary.evolution_annee,
    })
    return table, summary.unit


def _nationality_table(month, scopes: list[str], names: dict[str, str], category: str,
                       ranked: pd.DataFrame) -> pd.DataFrame:
    part = ranked[ranked.category == category]
    return pd.DataFrame({
        "Département": part.scope.map(lambda s: scope_label(s, names)), "Rang": part["rank"],
        "Nationalité": part.label, "Dossiers": part.dossiers, "Part de la catégorie": part.share,
    }).reset_index(drop=True)


def report_sections(month, departement: str | None = None) -> list[Section]:
    """The sections of the report of ``month`` for ``departement`` (None: all departments).

    The summary (indicators of the month, the previous month and the same month a year earlier, with
    evolutions), then the ten most frequent nationalities of the acceptés with an APT of 91 days or more, under
    91 days, the refusés and the classés sans suite. With a single department the "Département" column is
    left out.
    """
    departement = normalise_departement(departement)
    scopes = report_scopes(month, departement)
    names = _names()
    summary, units = _summary_table(month, scopes, names)
    ranked = reports.outcome_nationalities(reports.month_filters(month), scopes)
    sections = [Section("synthese", SHEETS["synthese"], "Synthèse du mois", summary, units)]
    for category in reports.RANKED_CATEGORIES:
        sections.append(Section(category, SHEETS[category],
                                f"{reports.CATEGORIES[category]} : 10 nationalités les plus fréquentes",
                                _nationality_table(month, scopes, names, category, ranked)))
    if departement:
        sections = [Section(s.key, s.sheet, s.title, s.table.drop(columns="Département"), s.units) for s in sections]
    return sections


def header_lines(month, departement: str | None, section: Section, generated_at: datetime) -> list[str]:
    """The header lines of a sheet (the same facts head the printed page)."""
    months = reports.comparison_months(month)
    start = months["mois"]
    end = reports.month_filters(start).end
    fresh = meta.freshness()
    if section.key == "synthese":
        period = (f"{_month_label(start)} ({fmt.fmt_period(start, end)}), comparé à "
                  f"{_month_label(months['mois_precedent'])} et à {_month_label(months['annee_precedente'])}")
    else:
        period = f"dossiers décidés en {_month_label(start)} ({fmt.fmt_period(start, end)})"
    source = f"{SOURCE}, données au {fmt.fmt_date(fresh.data_end)}"
    if fresh.is_demo:
        source += " — données de démonstration"
    return [TITLE, f"Section : {section.title}", f"Période : {period}",
            f"Département : {scope_label(departement)}", f"Généré le : {fmt.fmt_datetime(generated_at)}",
            f"Source : {source}"]


def _write_sheet(ws, lines: list[str], section: Section) -> None:
    for row, text in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=text).font = Font(bold=row == 1, size=14 if row == 1 else 11)
    if section.units is not None:
        ws.cell(row=len(lines) + 1, column=1, value=EVOLUTION_NOTE).font = Font(italic=True)
    table = section.table
    for col, name in enumerate(table.columns, start=1):
        cell = ws.cell(row=TABLE_ROW, column=col, value=name)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = max(12, min(48, len(str(name)) + 4,
                                                                         _widest(table[name]) + 2))
    if table.empty:
        ws.cell(row=TABLE_ROW + 1, column=1, value="Aucun dossier dans cette catégorie ce mois-ci.")
    units = list(section.units) if section.units is not None else [None] * len(table)
    for offset, (values, unit) in enumerate(zip(table.itertuples(index=False), units, strict=True), start=1):
        for col, (name, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = ws.cell(row=TABLE_ROW + offset, column=col, value=None if fmt.is_missing(value) else _plain(value))
            cell.number_format = _number_format(name, unit)
    ws.freeze_panes = ws.cell(row=TABLE_ROW + 1, column=1)
    if not table.empty:
        ws.auto_filter.ref = f"A{TABLE_ROW}:{get_column_letter(len(table.columns))}{TABLE_ROW + len(table)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _widest(series: pd.Series) -> int:
    return int(series.astype(str).str.len().fillna(0).max()) if len(series) else 0


def _plain(value):
    """Numpy scalars as Python numbers (openpyxl writes those)."""
    return value.item() if hasattr(value, "item") else value


def _number_format(column: str, unit: str | None) -> str:
    if column.startswith("Évolution"):
        return EVOLUTION_FORMATS.get(unit, "General")
    if column == "Part de la catégorie":
        return "0.0%"
    if column in ("Rang", "Dossiers"):
        return "#,##0"
    return VALUE_FORMATS.get(unit, "General") if unit else "General"


def workbook_bytes(month, departement: str | None = None, generated_at: datetime | None = None,
                   sections: list[Section] | None = None) -> bytes:
    """The XLSX workbook of the report: one sheet per section of ``report_sections``."""
    departement = normalise_departement(departement)
    generated_at = generated_at or datetime.now().replace(microsecond=0)
    sections = sections if sections is not None else report_sections(month, departement)
    book = Workbook()
    book.remove(book.active)
    for section in sections:
        _write_sheet(book.create_sheet(section.sheet), header_lines(month, departement, section, generated_at),
                     section)
    book.properties.title = f"{TITLE} — {_month_label(reports.parse_month(month))} — {scope_label(departement)}"
    book.properties.creator = "WIF stats"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tidy_frame(month, departement: str | None = None, sections: list[Section] | None = None) -> pd.DataFrame:
    """The whole report as one tidy table ``[departement, section, rang, libelle, unite, periode, valeur]``.

    Summary rows: one per department, indicator and month (``periode`` AAAA-MM), evolutions left out (they are
    derived). Nationality rows: ``unite`` "dossiers" and "part" (0..1 of the category) for each rank.
    """
    departement = normalise_departement(departement)
    sections = sections if sections is not None else report_sections(month, departement)
    months = {_month_label(start): f"{start:%Y-%m}" for start in reports.comparison_months(month).values()}
    frames = []
    for section in sections:
        table = section.table.copy()
        if "Département" not in table:
            table.insert(0, "Département", scope_label(departement))
        if section.key == "synthese":
            long = table.melt(id_vars=["Département", "Indicateur", "Unité"], value_vars=list(months),
                              var_name="periode", value_name="valeur")
            long = long.assign(periode=long.periode.map(months), rang=pd.NA).rename(
                columns={"Indicateur": "libelle", "Unité": "unite"})
        else:
            long = table.melt(id_vars=["Département", "Rang", "Nationalité"], value_vars=["Dossiers",
                              "Part de la catégorie"], var_name="unite", value_name="valeur")
            long = long.assign(unite=long.unite.map({"Dossiers": "dossiers", "Part de la catégorie": "part"}),
                               periode=f"{reports.parse_month(month):%Y-%m}").rename(
                columns={"Rang": "rang", "Nationalité": "libelle"})
        frames.append(long.assign(section=section.title).rename(columns={"Département": "departement"}))
    columns = ["departement", "section", "rang", "libelle", "unite", "periode", "valeur"]
    return pd.concat([frame[columns] for frame in frames], ignore_index=True)


def csv_text(month, departement: str | None = None, sections: list[Section] | None = None) -> str:
    """``tidy_frame`` as CSV text for French spreadsheets (``;``, decimal comma, leading BOM)."""
    return "\ufeff" + tidy_frame(month, departement, sections).to_csv(sep=";", decimal=",", index=False,
                                                                     lineterminator="\r\n")


def _write_pair(out_dir: Path, month, departement: str | None, generated_at: datetime) -> list[Path]:
    sections = report_sections(month, departement)
    stem = out_dir / file_stem(month, departement)
    xlsx, csv = stem.with_suffix(".xlsx"), stem.with_suffix(".csv")
    xlsx.write_bytes(workbook_bytes(month, departement, generated_at, sections))
    csv.write_text(csv_text(month, departement, sections), encoding="utf-8", newline="")
    return [xlsx, csv]


def write_report(month: str, departement: str | None, out_dir: Path) -> list[Path]:
    """Write the report files of ``month`` into ``out_dir`` and return their paths.

    With a department: its XLSX and CSV. Without: the national pair (whole country, then every department) and
    one pair per department covered by the month. Raises ValueError for an invalid month or a department unknown
    to the warehouse.
    """
    reports.parse_month(month)
    departement = normalise_departement(departement)
    if departement and departement not in set(meta.departement_options().code):
        raise ValueError(f"département inconnu dans l'entrepôt : {departement}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated_at = datetime.now().replace(microsecond=0)
    if departement:
        return _write_pair(out_dir, month, departement, generated_at)
    paths = _write_pair(out_dir, month, None, generated_at)
    for code in reports.report_departements(month).code:
        paths += _write_pair(out_dir, month, code, generated_at)
    return paths
