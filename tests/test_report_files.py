"""Report files (etl/report.py and ``python -m etl report``): the XLSX and CSV are read back and their values
compared with SQL written here, independently of the metrics layer. Warehouse: the hand-built dossiers of
tests/test_metrics_reports.py (report month March 2025)."""

from __future__ import annotations

import csv
from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from etl import report
from etl.cli import main
from metrics import db
from tests.factories import make_warehouse
from tests.test_metrics_reports import MARCH, ROWS


@pytest.fixture
def warehouse(tmp_path):
    path = make_warehouse(tmp_path, dossiers=ROWS)
    db.use_database(path)
    yield path
    db.use_database(None)


def sql(path, query: str, params: dict | None = None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


def sheet_table(ws) -> list[tuple]:
    """Rows of the sheet's table, header first (the table starts at ``report.TABLE_ROW``)."""
    return [row for row in ws.iter_rows(min_row=report.TABLE_ROW, values_only=True) if any(v is not None
                                                                                          for v in row)]


def expected_summary(path, departement: str, start: str, end: str) -> dict[str, float]:
    """The month's figures of one department, straight from the dossiers table."""
    (deposes, decided, acceptes, long, short, dates, refuses, sans_suite, median_cal), = sql(path, """
        WITH d AS (SELECT *, CASE WHEN apt_end >= apt_start THEN date_diff('day', apt_start, apt_end) + 1 END AS len
                   FROM dossiers WHERE departement = $dep)
        SELECT count(*) FILTER (WHERE depose_at >= $s AND depose_at < $e),
               count(*) FILTER (WHERE state IN ('accepte', 'refuse', 'sans_suite') AND traite_at >= $s
                                  AND traite_at < $e),
               count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $s AND traite_at < $e),
               count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $s AND traite_at < $e AND len >= 91),
               count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $s AND traite_at < $e AND len < 91),
               count(*) FILTER (WHERE state = 'accepte' AND traite_at >= $s AND traite_at < $e AND len IS NULL),
               count(*) FILTER (WHERE state = 'refuse' AND traite_at >= $s AND traite_at < $e),
               count(*) FILTER (WHERE state = 'sans_suite' AND traite_at >= $s AND traite_at < $e),
               quantile_cont(date_diff('day', CAST(depose_at AS DATE), CAST(traite_at AS DATE)), 0.5)
                   FILTER (WHERE state IN ('accepte', 'refuse', 'sans_suite') AND traite_at >= $s AND traite_at < $e)
        FROM d""", {"dep": departement, "s": start, "e": end})
    (open_,), = sql(path, """SELECT count(*) FROM dossiers WHERE departement = $dep AND depose_at < $e
                             AND (traite_at >= $e OR traite_at IS NULL)""", {"dep": departement, "e": end})
    return {"Dossiers déposés": deposes, "Dossiers décidés": decided, "Acceptés": acceptes,
            "dont APT de 91 jours ou plus": long, "dont APT de moins de 91 jours": short,
            "dont dates d'APT absentes ou incohérentes": dates, "Refusés": refuses, "Classés sans suite": sans_suite,
            "Délai médian de traitement (jours calendaires)": median_cal,
            "Dossiers en attente en fin de mois": open_}


def test_department_workbook_matches_sql(warehouse, tmp_path):
    paths = report.write_report(MARCH, "75", tmp_path / "out")
    assert [p.name for p in paths] == ["WIF_2025-03_ud75.xlsx", "WIF_2025-03_ud75.csv"]
    book = load_workbook(paths[0])
    assert book.sheetnames == ["Synthèse", "Acceptés APT ≥ 91 j", "Acceptés APT < 91 j", "Refusés",
                               "Classés sans suite"]
    summary = book["Synthèse"]
    header = [summary.cell(row, 1).value for row in range(1, 7)]
    assert header[3] == "Département : 75 – Paris" and header[2].startswith("Période : mars 2025")
    assert header[4].startswith("Généré le : ") and header[5].startswith("Source : Démarches Simplifiées")
    head, *rows = sheet_table(summary)
    assert head[:5] == ("Indicateur", "Unité", "mars 2025", "février 2025", "mars 2024")
    got = {(label if unit != "jours calendaires" else f"{label} (jours calendaires)"): value
           for label, unit, value, *_ in rows}
    expected = expected_summary(warehouse, "75", "2025-03-01", "2025-04-01")
    assert {k: got[k] for k in expected} == expected
    assert expected["Dossiers déposés"] == 7 and expected["Refusés"] == 2          # the case is not empty
    (feb_deposits,), = sql(warehouse, """SELECT count(*) FROM dossiers WHERE departement = '75'
                                         AND depose_at >= '2025-02-01' AND depose_at < '2025-03-01'""")
    assert rows[0][3] == feb_deposits and rows[0][5] == pytest.approx(7 / feb_deposits - 1)
    refused = sheet_table(book["Refusés"])
    expected_refused = sql(warehouse, """
        SELECT c.name_fr, count(*) FROM dossiers d JOIN ref_countries c ON c.iso2 = d.nationality
        WHERE d.departement = '75' AND d.state = 'refuse' AND d.traite_at >= '2025-03-01' AND d.traite_at < '2025-04-01'
        GROUP BY 1 ORDER BY 2 DESC, 1""")
    assert [(r[1], r[2]) for r in refused[1:]] == expected_refused
    assert [r[0] for r in refused[1:]] == list(range(1, len(expected_refused) + 1))


def test_csv_holds_the_same_figures(warehouse, tmp_path):
    _, csv_path = report.write_report(MARCH, "75", tmp_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    assert list(rows[0]) == ["departement", "section", "rang", "libelle", "unite", "periode", "valeur"]
    values = {(r["libelle"], r["periode"]): r["valeur"] for r in rows if r["section"] == "Synthèse du mois"}
    expected = expected_summary(warehouse, "75", "2025-03-01", "2025-04-01")
    assert float(values[("Dossiers déposés", "2025-03")].replace(",", ".")) == expected["Dossiers déposés"]
    assert float(values[("Refusés", "2025-03")].replace(",", ".")) == expected["Refusés"]


def test_all_departments_write_the_national_report_and_one_per_department(warehouse, tmp_path):
    names = sorted(p.name for p in report.write_report(MARCH, None, tmp_path))
    assert names == ["WIF_2025-03_national.csv", "WIF_2025-03_national.xlsx", "WIF_2025-03_ud69.csv",
                     "WIF_2025-03_ud69.xlsx", "WIF_2025-03_ud75.csv", "WIF_2025-03_ud75.xlsx"]
    national = load_workbook(tmp_path / "WIF_2025-03_national.xlsx")["Synthèse"]
    head, *rows = sheet_table(national)
    assert head[0] == "Département"
    deposits = {r[0]: r[3] for r in rows if r[1] == "Dossiers déposés"}
    assert deposits == {"Tous les départements": 8, "69 – Rhône": 1, "75 – Paris": 7}


def test_command_line(warehouse, tmp_path, capsys):
    out = tmp_path / "envoi"
    assert main(["report", "--month", MARCH, "--departement", "69", "--out", str(out), "--db", str(warehouse),
                 "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["WIF_2025-03_ud69.csv", "WIF_2025-03_ud69.xlsx"]
    assert main(["report", "--month", "2025-13", "--out", str(out), "--db", str(warehouse), "--quiet"]) == 1
    assert "mois invalide" in capsys.readouterr().err
    assert main(["report", "--month", MARCH, "--departement", "2A", "--out", str(out), "--db", str(warehouse),
                 "--quiet"]) == 1


def test_page_default_month_is_the_last_complete_one():
    import app  # noqa: F401  (registers the pages)
    from pages.rapports import default_month

    months = [date(2025, 4, 1), date(2025, 3, 1)]
    assert default_month(months, date(2025, 4, 10)) == "2025-03"
    assert default_month(months, date(2025, 4, 30)) == "2025-04"
    assert default_month([], date(2025, 4, 30)) is None
