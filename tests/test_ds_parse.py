"""parse_dossiers: GraphQL dossier nodes → the warehouse ``dossiers`` rows, personal champs dropped."""

from __future__ import annotations

from datetime import date

import duckdb
import orjson
import pandas as pd
import pytest

from etl.ds.client import DSResponseError
from etl.ds.parse import (
    DOSSIER_COLUMNS,
    Demarche,
    DSFormatError,
    decode_dossier_page,
    load_demarches,
    parse_dossiers,
    stats_of,
)
from etl.ds.sync import load_ds_files
from etl.warehouse import DURATION_COLUMNS, Warehouse, create_schema
from tests.ds_replay import make_dossier, personal_values
from tests.privacy_scan import scan

PARIS_STUDENTS = Demarche(101, "75", "etudiant", "ud75-apt-etudiants", "APT étudiants Paris")
NATIONAL = Demarche(900, None, "employeur", None, None)


def ds_findings(db_path, personal: set[str]) -> list[str]:
    """Privacy-scan findings about the tables the DS loaders write."""
    return [f for f in scan(db_path, personal) if " dossiers." in f or " demarches." in f]


def _values(frame: pd.DataFrame) -> set[str]:
    return {str(v) for v in frame.astype(str).to_numpy().ravel()}


def test_columns_are_exactly_the_schema_columns():
    con = duckdb.connect()
    create_schema(con)
    schema_columns = [r[1] for r in con.execute("PRAGMA table_info('dossiers')").fetchall()
                      if r[1] not in DURATION_COLUMNS]       # the durations are derived by the warehouse
    assert DOSSIER_COLUMNS == schema_columns
    frame = parse_dossiers([make_dossier(1)], PARIS_STUDENTS)
    assert list(frame.columns) == schema_columns
    assert list(parse_dossiers([], PARIS_STUDENTS).columns) == schema_columns


def test_a_dossier_is_normalised():
    node = make_dossier(42, state="accepte", depot="2019-09-02T10:15:00+02:00",
                        traite="2019-09-09T16:00:00+02:00", contract="Contrat d’apprentissage",
                        nationality=("MA", "Maroc"), start="02 septembre 2019", end="31 août 2020", hours="35",
                        demande="Renouvellement", archived=True)
    row = parse_dossiers([node], PARIS_STUDENTS).iloc[0]
    assert row.demarche_number == 101 and row.dossier_number == 42
    assert (row.departement, row.audience, row.groupe_instructeur) == ("75", "etudiant", "ud75-apt-etudiants")
    assert row.state == "accepte" and row.archived
    assert row.depose_at == pd.Timestamp("2019-09-02 10:15:00")
    assert row.en_instruction_at == pd.Timestamp("2019-09-03 09:00:00")
    assert row.traite_at == pd.Timestamp("2019-09-09 16:00:00")
    assert (row.contract_category, row.contract_label) == ("apprentissage", "Contrat d’apprentissage")
    assert (row.demande_type, row.nationality) == ("renouvellement", "MA")
    assert row.apt_start == pd.Timestamp(date(2019, 9, 2)) and row.apt_end == pd.Timestamp(date(2020, 8, 31))
    assert row.hours_per_week == 35.0 and row.source == "graphql"


def test_timestamps_become_naive_paris_time():
    nodes = [make_dossier(1, depot="2019-01-15T09:30:00Z", modified="2019-07-01T08:00:00Z"),  # UTC, winter/summer
             make_dossier(2, depot="2019-03-31T01:30:00+01:00"),  # just before the spring DST change
             make_dossier(3, depot="2019-10-27T02:30:00+01:00")]  # second 02:30 of the autumn change
    frame = parse_dossiers(nodes, PARIS_STUDENTS)
    assert list(frame.depose_at) == [pd.Timestamp("2019-01-15 10:30"), pd.Timestamp("2019-03-31 01:30"),
                                     pd.Timestamp("2019-10-27 02:30")]
    assert frame.modified_at.iloc[0] == pd.Timestamp("2019-07-01 10:00")
    assert frame.depose_at.dt.tz is None


def test_open_dossiers_have_no_decision_date_and_traitements_fill_a_missing_one():
    open_node = make_dossier(1, state="en_instruction")
    open_node["dateTraitement"] = "2019-09-05T10:00:00+02:00"  # a decision later reopened
    decided = make_dossier(2, state="refuse", traite="2019-09-20T11:00:00+02:00")
    decided["dateTraitement"] = None
    frame = parse_dossiers([open_node, decided], PARIS_STUDENTS)
    assert pd.isna(frame.traite_at.iloc[0])
    assert frame.traite_at.iloc[1] == pd.Timestamp("2019-09-20 11:00")


def test_instructors_apt_dates_win_and_invalid_dates_are_counted():
    nodes = [
        make_dossier(1, start="02 septembre 2018", apt_start="2018-09-013", apt_end="2019-08-31"),
        make_dossier(2, start="2018-09-013", end="31/02/2019", apt_start=None, apt_end=None),
        make_dossier(3, start="01 octobre 2018", apt_start="2018-10-03", end="2019-09-30"),
    ]
    frame = parse_dossiers(nodes, PARIS_STUDENTS)
    assert list(frame.apt_start) == [pd.Timestamp("2018-09-02"), pd.NaT, pd.Timestamp("2018-10-03")]
    assert list(frame.apt_end) == [pd.Timestamp("2019-08-31"), pd.NaT, pd.Timestamp("2019-09-30")]
    assert stats_of(frame).invalid_dates == 3  # '2018-09-013' twice, '31/02/2019' once


def test_unknown_contracts_go_to_autre_and_are_counted():
    nodes = [make_dossier(1, contract="Stage de fin d'études"), make_dossier(2, contract="CDI"),
             make_dossier(3, contract=None), make_dossier(4, contract="Autre")]
    frame = parse_dossiers(nodes, PARIS_STUDENTS)
    assert list(frame.contract_category.fillna("-")) == ["autre", "cdi", "-", "autre"]
    assert list(frame.contract_label.fillna("-")) == ["Stage de fin d'études", "CDI", "-", "Autre"]
    stats = stats_of(frame)
    assert (stats.unknown_contracts, stats.dossiers) == (1, 4)


def test_both_form_revisions_are_read():
    nodes = [make_dossier(1, revision=1, nationality=("DZ", "ALGERIE"), departement="69 - Rhône"),
             make_dossier(2, revision=2, nationality=("CN", "Chine"), demande="Renouvellement")]
    frame = parse_dossiers(nodes, NATIONAL)
    assert list(frame.nationality) == ["DZ", "CN"]
    assert list(frame.departement) == ["69", "75"]  # national démarche: department of the titre de séjour
    assert list(frame.demande_type) == ["premiere", "renouvellement"]


def test_text_only_champs_are_understood():
    """Older payloads (and exports) give the department and the country as text only."""
    node = make_dossier(1)
    for champ in node["champs"]:
        champ.pop("departement", None)
        champ.pop("pays", None)
        champ.pop("integerNumber", None)
        if champ["label"] == "Pays de nationalité":
            champ["stringValue"] = "CÔTE D’IVOIRE"
        if champ["label"].startswith("Nombre"):
            champ["stringValue"] = "17,5 h"
    row = parse_dossiers([node], NATIONAL).iloc[0]
    assert (row.departement, row.nationality, row.hours_per_week) == ("75", "CI", 17.5)


def test_typed_values_alone_are_enough():
    node = make_dossier(1)
    for champ in node["champs"]:
        if champ["__typename"] == "DateChamp" and champ["label"].startswith("Date de début"):
            champ.update(stringValue=None, date="2019-09-16")
        if champ["__typename"] == "DropDownListChamp":
            champ.update(stringValue=None, value="CDI" if "contrat" in champ["label"] else "Renouvellement")
    row = parse_dossiers([node], PARIS_STUDENTS).iloc[0]
    assert (row.apt_start, row.contract_category, row.demande_type) == (pd.Timestamp("2019-09-16"), "cdi",
                                                                        "renouvellement")


def test_no_personal_value_survives():
    nodes = [make_dossier(n) for n in range(1, 6)]
    values = _values(parse_dossiers(nodes, PARIS_STUDENTS))
    for n in range(1, 6):
        for personal in personal_values(n).values():
            assert personal not in values
        assert f"Vu avec M. Martin {n}" not in values  # instructors' free-text annotation


@pytest.mark.parametrize(("broken", "message"), [
    (lambda n: n.pop("state"), "« state » absent"),
    (lambda n: n.pop("dateDepot"), "« dateDepot » absent"),
    (lambda n: n.update(state="brouillon"), "état inconnu 'brouillon'"),
    (lambda n: n.update(dateDepot="hier"), "dossier n° 7 : dateDepot illisible 'hier'"),
    (lambda n: n.update(dateDerniereModification="2019-02-30T10:00:00+01:00"),
     "n° 7 : dateDerniereModification illisible"),
])
def test_a_broken_node_is_a_clear_error(broken, message):
    node = make_dossier(7)
    broken(node)
    with pytest.raises(DSFormatError, match=message):
        parse_dossiers([node], PARIS_STUDENTS)


def test_load_demarches(tmp_path):
    path = tmp_path / "demarches.csv"
    path.write_text("# commentaire\ndemarche_number,departement,audience,slug,title\n"
                    "101,75,etudiant,ud75-apt-etudiants,APT\n102,1,Employeur,,\n900,,étudiant,,National\n",
                    encoding="utf-8")
    demarches = load_demarches(path)
    assert demarches[101] == PARIS_STUDENTS.__class__(101, "75", "etudiant", "ud75-apt-etudiants", "APT")
    assert (demarches[102].departement, demarches[102].audience, demarches[102].slug) == ("01", "employeur", None)
    assert demarches[900].departement is None and demarches[900].audience == "etudiant"


@pytest.mark.parametrize(("content", "message"), [
    ("demarche_number,departement\n1,75\n", "colonnes manquantes : audience"),
    ("demarche_number,departement,audience\n1,75,etudiant\n1,75,employeur\n", "déjà décrite"),
    ("demarche_number,departement,audience\nabc,75,etudiant\n", "numéro de démarche invalide"),
    ("demarche_number,departement,audience\n1,750,etudiant\n", "département inconnu"),
    ("demarche_number,departement,audience\n1,75,public\n", "public attendu"),
    ("demarche_number,departement,audience\n", "aucune démarche"),
])
def test_load_demarches_errors(tmp_path, content, message):
    path = tmp_path / "demarches.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DSFormatError, match=message):
        load_demarches(path)


def test_demo_pages_load_through_the_same_parser(tmp_path):
    """The generator's layout: <raw>/ds/<démarche>/page-NNNN.json GraphQL answers with every champ."""
    numbers = {101: range(1, 151), 102: range(151, 181)}
    for demarche, dossiers in numbers.items():
        folder = tmp_path / "ds" / str(demarche)
        folder.mkdir(parents=True)
        nodes = [make_dossier(n, contract="Stage" if n % 50 == 0 else "CDD", start="2018-09-013" if n == 3 else
                              "02 septembre 2019") for n in dossiers]
        for page, start in enumerate(range(0, len(nodes), 100), start=1):
            chunk = nodes[start:start + 100]
            payload = {"data": {"demarche": {"number": demarche, "dossiers": {
                "pageInfo": {"hasNextPage": start + 100 < len(nodes), "endCursor": f"c{page}"}, "nodes": chunk}}}}
            (folder / f"page-{page:04d}.json").write_bytes(orjson.dumps(payload))
    demarches = {101: PARIS_STUDENTS, 102: Demarche(102, "75", "employeur", "ud75-apt-etudiants-employeur")}
    loaded = []
    for workers in (1, 2):   # démarches parsed in this process, then in two worker processes
        target = tmp_path / f"wif-{workers}.duckdb"
        with Warehouse(target, incremental=False) as wh:
            stats = load_ds_files(wh, tmp_path / "ds", demarches, progress=False, workers=workers)
            wh.publish()
        assert stats == {"demarches": 2, "pages": 3, "dossiers": 180, "deleted": 0, "invalid_dates": 1,
                         "unknown_contracts": 3, "unknown_nationalities": 0, "unknown_departements": 0,
                         "invalid_hours": 0}
        con = duckdb.connect(str(target), read_only=True)
        assert con.execute("SELECT audience, count(*) FROM dossiers GROUP BY 1 ORDER BY 1").fetchall() == [
            ("employeur", 30), ("etudiant", 150)]
        loaded.append(con.execute("SELECT * FROM dossiers ORDER BY demarche_number, dossier_number").fetchall())
        con.close()
    assert loaded[0] == loaded[1]
    personal = {v for n in range(1, 181) for v in personal_values(n).values()}
    assert ds_findings(target, personal) == []


def test_demo_pages_of_an_unknown_demarche_are_refused(tmp_path):
    (tmp_path / "ds" / "555").mkdir(parents=True)
    with Warehouse(tmp_path / "wif.duckdb", incremental=False) as wh, \
            pytest.raises(DSFormatError, match="555 : démarche absente"):
        load_ds_files(wh, tmp_path / "ds", {101: PARIS_STUDENTS}, progress=False)


def test_a_dossier_seen_on_two_pages_keeps_its_latest_version(tmp_path, monkeypatch):
    """DS pages by cursor while dossiers change: one can show up twice; batches must not split the rule."""
    monkeypatch.setattr("etl.ds.sync.BATCH_NODES", 3)
    folder = tmp_path / "ds" / "101"
    folder.mkdir(parents=True)
    pages = [[make_dossier(n, modified="2019-09-10T10:00:00+02:00") for n in (1, 2, 3)],
             [make_dossier(4), make_dossier(1, state="accepte", modified="2019-09-12T10:00:00+02:00")],
             [make_dossier(5)]]
    for i, nodes in enumerate(pages, start=1):
        payload = {"data": {"demarche": {"number": 101, "dossiers": {
            "pageInfo": {"hasNextPage": i < 3, "endCursor": str(i)}, "nodes": nodes}}}}
        (folder / f"page-{i:04d}.json").write_bytes(orjson.dumps(payload))
    target = tmp_path / "wif.duckdb"
    with Warehouse(target, incremental=False) as wh:
        stats = load_ds_files(wh, tmp_path / "ds", {101: PARIS_STUDENTS}, progress=False)
        wh.publish()
    assert (stats["pages"], stats["dossiers"]) == (3, 5)
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT state FROM dossiers WHERE dossier_number = 1").fetchall() == [("accepte",)]
    con.close()


def test_a_saved_page_decodes_to_the_read_fields_only(tmp_path):
    node = make_dossier(7)
    node["usager"] = {"email": "jeanne.martin@example.org"}
    node["demandeur"] = {"nom": "MARTIN", "prenom": "Jeanne", "dateDeNaissance": "2001-01-14"}
    page = {"data": {"demarche": {"number": 101, "dossiers": {"nodes": [node]},
                                  "deletedDossiers": {"nodes": [{"number": 3}]}}}}
    nodes, deleted = decode_dossier_page(orjson.dumps(page))
    assert deleted == [3]
    assert not hasattr(nodes[0], "usager") and not hasattr(nodes[0], "demandeur")
    assert "jeanne.martin" not in repr(nodes) and "MARTIN" not in repr(nodes)
    pd.testing.assert_frame_equal(parse_dossiers(nodes, PARIS_STUDENTS), parse_dossiers([node], PARIS_STUDENTS))


@pytest.mark.parametrize(("payload", "message"), [
    ({"errors": [{"message": "Timeout"}]}, "champ « data » absent"),
    ({"data": {"demarche": {"number": 101}}}, "champ « dossiers » absent"),
    ({"data": {"demarche": {"dossiers": {"nodes": ["pas un dossier"]}}}}, "position 0 : objet attendu, reçu str"),
])
def test_a_saved_page_of_another_shape_is_a_clear_error(tmp_path, payload, message):
    folder = tmp_path / "ds" / "101"
    folder.mkdir(parents=True)
    (folder / "page-0001.json").write_bytes(orjson.dumps(payload))
    assert decode_dossier_page(orjson.dumps(payload)) is None
    with Warehouse(tmp_path / "wif.duckdb", incremental=False) as wh, \
            pytest.raises((DSResponseError, DSFormatError), match=message):
        load_ds_files(wh, tmp_path / "ds", {101: PARIS_STUDENTS}, progress=False)
