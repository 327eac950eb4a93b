"""read_export / import_exports: DS export files of both header generations, CSV and XLSX."""

from __future__ import annotations

import csv
from datetime import date, datetime

import duckdb
import openpyxl
import pandas as pd
import pytest

from etl.ds.export import read_export
from etl.ds.parse import DOSSIER_COLUMNS, Demarche, DSFormatError, stats_of
from etl.ds.sync import import_exports
from etl.warehouse import Warehouse
from tests.factories import dossier, make_warehouse

DEMARCHES = {
    101: Demarche(101, "75", "etudiant", "ud75-apt-etudiants"),
    102: Demarche(102, "75", "employeur", "ud75-apt-etudiants-employeur"),
    900: Demarche(900, None, "etudiant", "apt-national"),
}

# Current generation: dossier columns in DS's order, personal ones included, then champs and annotations.
CURRENT_HEADER = [
    "ID", "Email", "FranceConnect ?", "Civilité", "Nom", "Prénom", "Date de naissance", "À archiver",
    "État du dossier", "Dernière mise à jour le", "Dernière mise à jour du dossier le", "Déposé le",
    "Passé en instruction le", "Traité le", "Motivation de la décision", "Instructeurs", "Groupe instructeur",
    "Département qui figure sur le titre de séjour", "Département qui figure sur le titre de séjour (Code)",
    "Type de contrat", "Demande", "Nationalité", "Date de début", "Date de fin", "Nombre d’heures",
    "Salaire brut", "Emploi occupé", "Nom de l'employeur", "Téléphone de l'employeur", "Numéro du titre de séjour",
    "Date de début APT", "Date de fin APT",
]
CURRENT_ROWS = [
    ["5001", "amina.benali@example.org", "false", "Mme", "BENALI", "Amina", "1999-04-12", "false", "Accepté",
     "2020-02-10 16:05:00 +0100", "2020-02-03 10:00:00 +0100", "2020-02-03 10:00:00 +0100",
     "2020-02-04 09:30:00 +0100", "2020-02-10 16:05:00 +0100", "APT accordée à Mme Benali", "agent1@direccte.gouv.fr",
     "ud93-apt-etudiants", "Seine-Saint-Denis", "93", "Contrat d'apprentissage", "Première demande", "Maroc",
     "2020-02-17", "2021-08-31", "35", "1 250,00", "Vendeuse", "Boulangerie Martin", "01 48 12 34 56", "9312345678",
     "2018-09-013", "2021-08-31"],
    ["5002", "li.wei@example.org", "false", "M.", "LI", "Wei", "1997-11-02", "true", "Classé sans suite",
     "2020-03-05 11:00:00 +0100", "2020-02-20 09:00:00 +0100", "2020-02-20 09:00:00 +0100", "",
     "2020-03-05 11:00:00 +0100", "Pièces manquantes", "", "ud93-apt-etudiants", "Seine-Saint-Denis", "93",
     "Job étudiant", "Renouvellement", "CHINE", "01/03/2020", "2020-08-31", "17,5", "", "", "", "", "", "", ""],
    ["5003", "k.diallo@example.org", "false", "M.", "DIALLO", "Kadiatou", "2000-01-01", "false", "En instruction",
     "2020-03-06 08:00:00 +0100", "2020-03-02 14:00:00 +0100", "2020-03-02 14:00:00 +0100",
     "2020-03-03 10:00:00 +0100", "", "", "", "ud93-apt-etudiants", "Seine-Saint-Denis", "93", "CDD", "Demande",
     "Côte d'Ivoire", "", "", "", "", "", "", "", "", "", ""],
]
PERSONAL = {"amina.benali@example.org", "BENALI", "Amina", "1999-04-12", "APT accordée à Mme Benali",
            "agent1@direccte.gouv.fr", "1 250,00", "Vendeuse", "Boulangerie Martin", "01 48 12 34 56", "9312345678",
            "li.wei@example.org", "LI", "Wei", "Pièces manquantes", "k.diallo@example.org", "DIALLO", "Kadiatou",
            "Mme", "M."}

# 2018 generation (DossierTableExportSerializer): REST v1 snake_case headers and states, Ruby Time#to_s
# timestamps, champ and annotation labels through parameterize.underscore ("Nombre d'heures" → nombre_d_heures).
OLD_HEADER = ["id", "created_at", "updated_at", "archived", "email", "state", "initiated_at", "received_at",
              "processed_at", "motivation", "emails_accompagnateurs", "individual_gender", "individual_prenom",
              "individual_nom", "individual_birthdate", "departement_qui_figure_sur_le_titre_de_sejour",
              "type_de_contrat", "nationalite", "date_de_debut", "date_de_fin", "nombre_d_heures", "date_de_debut_apt"]
OLD_ROWS = [
    ["301", "2018-03-01 10:00:00 +0100", "2018-03-12 16:00:00 +0100", "false", "j.perez@example.org", "closed",
     "2018-03-01 11:00:00 +0100", "2018-03-05 09:00:00 +0100", "2018-03-12 16:00:00 +0100", "OK pour M. Perez",
     "agent2@direccte.gouv.fr", "M.", "Juan", "PEREZ", "1996-05-04", "75 - Paris", "contrat de professionnalisation",
     "COLOMBIE", "2018-03-15", "2019-03-14", "35", ""],
    ["302", "2018-06-29 20:00:00 UTC", "2018-07-02 07:30:00 UTC", "false", "a.sy@example.org", "initiated",
     "2018-06-30 21:45:00 UTC", "", "", "", "", "Mme", "Awa", "SY", "1998-12-24", "75 - Paris",
     "Contrat à durée déterminée (CDD)", "SENEGAL", "2018-09-013", "", "20", ""],
    ["303", "2018-04-01 11:00:00 +0200", "2018-04-20 11:00:00 +0200", "true", "x.y@example.org",
     "without_continuation", "2018-04-02 11:00:00 +0200", "2018-04-03 11:00:00 +0200", "2018-04-20 11:00:00 +0200",
     "Doublon", "", "M.", "Rami", "YOUSSEF", "1995-02-02", "75 - Paris", "Interne en médecine", "LIBAN", "", "",
     "", "2018-05-02"],
]


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, header, rows, typed=True):
    """An XLSX like DS's: sheet 'Dossiers' first, dates as real date cells, other sheets after."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dossiers"
    sheet.append(header)
    for row in rows:
        sheet.append([_typed(h, v) if typed else v for h, v in zip(header, row, strict=True)])
    book.create_sheet("Avis").append(["Dossier ID", "Question", "Réponse"])
    book.save(path)
    return path


def _typed(header, value):
    if not value:
        return None
    if header.endswith(" le") and "+0100" in value:
        return datetime.fromisoformat(value.replace(" +0100", ""))  # DS writes local time in XLSX cells
    if header in ("Date de début", "Date de fin", "Date de fin APT") and value[4] == "-":
        return date.fromisoformat(value)
    if header == "ID":
        return int(value)
    if header in ("À archiver",):
        return value == "true"
    return value


def _values(frame):
    return {str(v) for v in frame.astype(str).to_numpy().ravel()}


@pytest.mark.parametrize("kind", ["csv", "csv;", "xlsx"])
def test_current_generation(tmp_path, kind):
    name = f"dossiers_ud75-apt-etudiants_2020-03-10.{kind[:4].rstrip(';')}"
    path = tmp_path / name
    if kind == "xlsx":
        write_xlsx(path, CURRENT_HEADER, CURRENT_ROWS)
    else:
        write_csv(path, CURRENT_HEADER, CURRENT_ROWS, delimiter=";" if kind == "csv;" else ",")
    frame = read_export(path, DEMARCHES)
    assert list(frame.columns) == DOSSIER_COLUMNS
    assert list(frame.dossier_number) == [5001, 5002, 5003]
    assert set(frame.demarche_number) == {101} and set(frame.source) == {"export"}
    assert list(frame.state) == ["accepte", "sans_suite", "en_instruction"]
    assert list(frame.archived) == [False, True, False]
    assert list(frame.depose_at) == [pd.Timestamp("2020-02-03 10:00"), pd.Timestamp("2020-02-20 09:00"),
                                     pd.Timestamp("2020-03-02 14:00")]
    assert frame.traite_at.iloc[0] == pd.Timestamp("2020-02-10 16:05") and pd.isna(frame.traite_at.iloc[2])
    assert pd.isna(frame.en_instruction_at.iloc[1])
    assert list(frame.groupe_instructeur) == ["ud93-apt-etudiants"] * 3
    assert list(frame.departement) == ["75"] * 3  # from the démarche mapping
    assert list(frame.contract_category) == ["apprentissage", "autre", "cdd"]
    assert list(frame.demande_type.fillna("-")) == ["premiere", "renouvellement", "-"]
    assert list(frame.nationality) == ["MA", "CN", "CI"]
    assert frame.apt_start.iloc[0] == pd.Timestamp("2020-02-17")  # APT annotation invalid → form date
    assert frame.apt_start.iloc[1] == pd.Timestamp("2020-03-01")
    assert list(frame.hours_per_week.fillna(-1)) == [35.0, 17.5, -1]
    stats = stats_of(frame)
    assert (stats.dossiers, stats.invalid_dates, stats.unknown_contracts) == (3, 1, 1)
    assert not PERSONAL & _values(frame)


def test_department_code_column_for_a_national_demarche(tmp_path):
    rows = [r[:] for r in CURRENT_ROWS]
    rows[2][17], rows[2][18] = "Paris", "75"
    frame = read_export(write_csv(tmp_path / "export.csv", CURRENT_HEADER, rows), DEMARCHES, demarche_number=900)
    assert list(frame.departement) == ["93", "93", "75"]
    assert set(frame.audience) == {"etudiant"}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_2018_generation(tmp_path, kind):
    path = tmp_path / f"dossiers_101.{kind}"
    if kind == "xlsx":
        write_xlsx(path, OLD_HEADER, OLD_ROWS, typed=False)
    else:
        write_csv(path, OLD_HEADER, OLD_ROWS)
    frame = read_export(path, DEMARCHES)
    assert set(frame.demarche_number) == {101}  # number found in the file name
    assert list(frame.state) == ["accepte", "en_construction", "sans_suite"]
    assert list(frame.depose_at) == [pd.Timestamp("2018-03-01 11:00"), pd.Timestamp("2018-06-30 23:45"),
                                     pd.Timestamp("2018-04-02 11:00")]  # UTC → Paris (winter, summer)
    assert frame.en_construction_at.equals(frame.depose_at)
    assert frame.en_instruction_at.iloc[0] == pd.Timestamp("2018-03-05 09:00")
    assert frame.traite_at.iloc[0] == pd.Timestamp("2018-03-12 16:00") and pd.isna(frame.traite_at.iloc[1])
    assert frame.modified_at.iloc[1] == pd.Timestamp("2018-07-02 09:30")
    assert list(frame.archived) == [False, False, True]
    assert list(frame.contract_category) == ["professionnalisation", "cdd", "interne"]
    assert list(frame.nationality) == ["CO", "SN", "LB"]
    assert list(frame.hours_per_week.fillna(-1)) == [35.0, 20.0, -1]
    assert stats_of(frame).invalid_dates == 1 and pd.isna(frame.apt_start.iloc[1])
    assert frame.apt_start.iloc[2] == pd.Timestamp("2018-05-02")  # the annotation (date_de_debut_apt)
    assert not {"j.perez@example.org", "PEREZ", "Juan", "OK pour M. Perez", "SY", "Awa", "Doublon", "1996-05-04",
                "agent2@direccte.gouv.fr", "Mme", "YOUSSEF"} & _values(frame)


@pytest.mark.parametrize(("header", "message"), [
    ([h for h in CURRENT_HEADER if h not in ("État du dossier", "Déposé le")],
     "colonnes obligatoires absentes : État du dossier, Déposé le"),
    ([h for h in OLD_HEADER if h != "initiated_at"], "colonnes obligatoires absentes : initiated_at"),
    (["Nom", "Prénom", "Email"], "colonnes obligatoires absentes : ID, État du dossier, Déposé le"),
])
def test_missing_required_columns_are_named(tmp_path, header, message):
    path = write_csv(tmp_path / "ud75-apt-etudiants.csv", header, [])
    with pytest.raises(DSFormatError, match=message):
        read_export(path, DEMARCHES)


def test_wrong_file_types(tmp_path):
    pdf = tmp_path / "ud75-apt-etudiants.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(DSFormatError, match="type de fichier non pris en charge"):
        read_export(pdf, DEMARCHES)
    ods = tmp_path / "ud75-apt-etudiants.ods"
    ods.write_bytes(b"PK\x03\x04")
    with pytest.raises(DSFormatError, match="format ODS non pris en charge, exporter en CSV ou XLSX"):
        read_export(ods, DEMARCHES)
    fake_xlsx = write_csv(tmp_path / "ud75-apt-etudiants.xlsx", CURRENT_HEADER, CURRENT_ROWS)
    with pytest.raises(DSFormatError, match="classeur XLSX illisible"):
        read_export(fake_xlsx, DEMARCHES)
    xlsx_as_csv = write_xlsx(tmp_path / "book.xlsx", CURRENT_HEADER, CURRENT_ROWS)
    renamed = xlsx_as_csv.rename(tmp_path / "ud75-apt-etudiants.csv")
    with pytest.raises(DSFormatError, match="pas un fichier CSV"):
        read_export(renamed, DEMARCHES)


def test_unknown_states_are_refused(tmp_path):
    rows = [r[:] for r in CURRENT_ROWS]
    rows[1][8] = "En attente"
    with pytest.raises(DSFormatError, match="état.s. de dossier inconnu.s. : En attente"):
        read_export(write_csv(tmp_path / "ud75-apt-etudiants.csv", CURRENT_HEADER, rows), DEMARCHES)


def test_the_demarche_must_be_known(tmp_path):
    path = write_csv(tmp_path / "export.csv", CURRENT_HEADER, CURRENT_ROWS)
    with pytest.raises(DSFormatError, match="préciser --demarche"):
        read_export(path, DEMARCHES)
    with pytest.raises(DSFormatError, match="démarche 7 absente"):
        read_export(path, DEMARCHES, demarche_number=7)
    employer = write_csv(tmp_path / "dossiers_ud75-apt-etudiants-employeur.csv", CURRENT_HEADER, CURRENT_ROWS)
    assert set(read_export(employer, DEMARCHES).demarche_number) == {102}  # the longest slug wins


def test_import_loads_all_files_or_nothing(tmp_path):
    target = make_warehouse(tmp_path, dossiers=[dossier(1, demarche=1)])
    good = write_csv(tmp_path / "dossiers_ud75-apt-etudiants.csv", CURRENT_HEADER, CURRENT_ROWS)
    bad = write_csv(tmp_path / "dossiers_ud75-apt-etudiants-employeur.csv", CURRENT_HEADER[:3], [])
    with Warehouse(target) as wh, pytest.raises(DSFormatError, match="colonnes obligatoires absentes"):
        import_exports(wh, [good, bad], DEMARCHES, progress=False)
    old = write_csv(tmp_path / "dossiers_101_2018.csv", OLD_HEADER, OLD_ROWS)
    with Warehouse(target) as wh:
        stats = import_exports(wh, [good, old, good], DEMARCHES, progress=False)
        wh.publish()
    assert stats["files"] == 3 and stats["dossiers"] == 6 and stats["invalid_dates"] == 3
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*), count(*) FILTER (WHERE source = 'export') FROM dossiers").fetchone() == (7, 6)
    con.close()
