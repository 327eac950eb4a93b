"""Champ label aliases and value normalisers (etl/ds/champs.py) on the variants WIF's forms produced."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from etl.ds import champs as ch

LABELS = [
    ("Département qui figure sur le titre de séjour", "departement"),
    ("DÉPARTEMENT FIGURANT SUR LE TITRE DE SÉJOUR", "departement"),
    ("  Département   qui figure sur le titre de sejour : ", "departement"),
    ("Type de contrat", "contract"),
    ("Type de contrat *", "contract"),
    ("type du contrat", "contract"),
    ("Demande", "demande"),
    ("S’agit-il d’une première demande ou d’un renouvellement ?", "demande"),
    ("Nationalité", "nationality"),
    ("NATIONALITE", "nationality"),
    ("Nationalité de l’étudiant", "nationality"),
    ("Date de début", "apt_start"),
    ("Date de début APT", "apt_start"),
    ("date de debut apt", "apt_start"),
    ("Date de fin", "apt_end"),
    ("Date de fin APT", "apt_end"),
    ("Nombre d'heures", "hours_per_week"),
    ("Nombre d’heures", "hours_per_week"),
    ("Nombre d‘heures par semaine", "hours_per_week"),
]
PERSONAL_LABELS = [
    "Nom", "Prénom", "E-mail", "Email", "Téléphone", "Date de naissance", "Lieu de naissance",
    "Date et lieu de naissance", "Adresse", "Nom de l'employeur", "Raison sociale de l'employeur",
    "Téléphone de l'employeur", "E-mail de l'employeur", "Numéro du titre de séjour", "Motivation",
    "Motivation de la décision", "Salaire brut", "Salaire", "Emploi occupé", "Civilité", "SIRET",
]


@pytest.mark.parametrize(("label", "field"), LABELS)
def test_label_variants_map_to_their_field(label, field):
    assert ch.field_for_label(label)[0] == field


@pytest.mark.parametrize("label", PERSONAL_LABELS)
def test_personal_labels_are_never_mapped(label):
    assert ch.field_for_label(label) is None
    assert ch.field_for_header(label) is None


def test_annotation_labels_are_marked_as_annotations():
    assert ch.field_for_label("Date de début APT") == ("apt_start", "annotation")
    assert ch.field_for_label("Date de début") == ("apt_start", "champ")


@pytest.mark.parametrize(("header", "field"), [
    ("type_de_contrat", "contract"), ("nombre_d_heures", "hours_per_week"), ("nationalite", "nationality"),
    ("departement_qui_figure_sur_le_titre_de_sejour", "departement"), ("date_de_debut_apt", "apt_start"),
])
def test_2018_snake_case_headers(header, field):
    assert ch.field_for_header(header)[0] == field


def test_alias_table_is_consistent():
    rows = list(csv.DictReader(open(ch.REFERENCE_DIR / "champ_aliases.csv", encoding="utf-8")))
    assert {r["field"] for r in rows} == set(ch.FIELDS)
    keys = [ch.norm_label(r["label"]) for r in rows]
    assert len(keys) == len(set(keys)), "un libellé normalisé apparaît deux fois"


CONTRACTS = [
    ("Contrat d'apprentissage", "apprentissage"),
    ("contrat d’apprentissage", "apprentissage"),
    ("CONTRAT D'APPRENTISSAGE", "apprentissage"),
    ("Apprentissage (CDD)", "apprentissage"),
    ("Contrat de professionnalisation", "professionnalisation"),
    ("contrat pro", "professionnalisation"),
    ("contrat à durée déterminée (CDD)", "cdd"),
    ("Contrat a duree determinee", "cdd"),
    ("CDD", "cdd"),
    ("Post-doctorat", "cdd"),
    ("contrat à durée indéterminée (CDI)", "cdi"),
    ("CDI", "cdi"),
    ("Contrat doctoral", "doctorat"),
    ("CIFRE", "doctorat"),
    ("Convention industrielle de formation par la recherche (CIFRE)", "doctorat"),
    ("ATER", "ater"),
    ("Attaché temporaire d'enseignement et de recherche (ATER)", "ater"),
    ("Attaché temporaire de l’enseignement et de la recherche", "ater"),
    ("Interne en médecine", "interne"),
    ("Interne en pharmacie (hors AP-HP)", "interne"),
    ("Faisant fonction d'interne (FFI)", "interne"),
    ("Autre", "autre"),
]


@pytest.mark.parametrize(("label", "category"), CONTRACTS)
def test_contract_variants(label, category):
    assert ch.contract_category(label) == (category, True)


@pytest.mark.parametrize("label", ["Stage", "Job étudiant", "Internet", "Mission d'intérim"])
def test_unknown_contracts_are_autre_and_flagged(label):
    assert ch.contract_category(label) == ("autre", False)


def test_no_contract_is_not_an_unknown_contract():
    assert ch.contract_category(None) == (None, True)
    assert ch.contract_category("  ") == (None, True)


def test_every_category_is_in_the_reference_table():
    rows = list(csv.DictReader(open(ch.REFERENCE_DIR / "contract_categories.csv", encoding="utf-8")))
    assert {r["code"] for r in rows} == set(ch.CONTRACT_CATEGORIES)
    assert {code for code, _ in ch._CONTRACT_RULES} <= set(ch.CONTRACT_CATEGORIES)


def test_safe_label_drops_what_looks_personal():
    assert ch.safe_label("  Contrat   d’apprentissage ") == "Contrat d’apprentissage"
    assert ch.safe_label("CDD chez jean.dupont@example.org") is None
    assert ch.safe_label("CDD, appeler le 06 12 34 56 78") is None
    assert ch.safe_label("") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("Première demande", "premiere"), ("premiere demande", "premiere"), ("1ère demande", "premiere"),
    ("Renouvellement", "renouvellement"), ("RENOUVELLEMENT D'APT", "renouvellement"),
    ("Prolongation", "renouvellement"), ("", None), (None, None), ("Je ne sais pas", None),
])
def test_demande(value, expected):
    assert ch.demande_type(value) == expected


NATIONALITIES = [
    ("MAROC", "MA"), ("Maroc", "MA"), ("maroc", "MA"), ("marocaine", "MA"), ("ALGERIE", "DZ"), ("Algérie", "DZ"),
    ("TUNISIE", "TN"), ("CHINE", "CN"), ("Chine", "CN"), ("SÉNÉGAL", "SN"), ("SENEGAL", "SN"),
    ("CÔTE D'IVOIRE", "CI"), ("Côte d’Ivoire", "CI"), ("COTE-D'IVOIRE", "CI"), ("Viêt Nam", "VN"), ("VIETNAM", "VN"),
    ("Corée du Sud", "KR"), ("COREE, REPUBLIQUE DE", "KR"), ("Russie", "RU"), ("RUSSIE, FEDERATION DE", "RU"),
    ("Birmanie", "MM"), ("Myanmar", "MM"), ("Swaziland", "SZ"), ("Zaïre", "CD"), ("Congo (RDC)", "CD"),
    ("Congo", "CG"), ("États-Unis", "US"), ("ETATS-UNIS D'AMERIQUE", "US"), ("Royaume-Uni", "GB"),
    ("République tchèque", "CZ"), ("Macédoine", "MK"), ("Kosovo", "XK"), ("Liban", "LB"), ("Inde", "IN"),
    ("Brésil", "BR"), ("Cameroun", "CM"), ("la France", "FR"), ("MA", "MA"), ("Iran", "IR"),
    ("IRAN, REPUBLIQUE ISLAMIQUE D'", "IR"), ("Syrie", "SY"), ("Taïwan", "TW"), ("Moldavie", "MD"),
]


@pytest.mark.parametrize(("value", "iso2"), NATIONALITIES)
def test_nationality_spellings(value, iso2):
    assert ch.country_code(value) == iso2


@pytest.mark.parametrize("value", ["Apatride", "Européenne", "", None, "ZZ"])
def test_unknown_nationalities(value):
    assert ch.country_code(value) is None


def test_countries_reference_covers_every_iso_country():
    rows = list(csv.DictReader(open(ch.REFERENCE_DIR / "countries.csv", encoding="utf-8")))
    codes = [r["iso2"] for r in rows]
    assert len(codes) == len(set(codes)) >= 249
    assert all(r["name_fr"] for r in rows)
    names = {r["iso2"]: r["name_fr"] for r in rows}
    assert names["MA"] == "Maroc" and names["DZ"] == "Algérie" and names["CI"] == "Côte d'Ivoire"


@pytest.mark.parametrize(("value", "code"), [
    ("75 - Paris", "75"), ("75 – Paris", "75"), ("69 - Rhône", "69"), ("2A - Corse-du-Sud", "2A"),
    ("971 - Guadeloupe", "971"), ("01 - Ain", "01"), ("75", "75"), ("1", "01"), ("Paris", "75"),
    ("SEINE-SAINT-DENIS", "93"), ("Seine Saint Denis", "93"), ("Bouches-du-Rhône", "13"),
])
def test_departements(value, code):
    assert ch.departement_code(value) == code


@pytest.mark.parametrize("value", ["99 - Etranger", "75000", "Atlantide", "", None, "00"])
def test_unknown_departements(value):
    assert ch.departement_code(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2018-09-13", date(2018, 9, 13)), ("13/09/2018", date(2018, 9, 13)), ("13 septembre 2018", date(2018, 9, 13)),
    ("01 août 2019", date(2019, 8, 1)), ("1er août 2019", date(2019, 8, 1)), ("1 AOUT 2019", date(2019, 8, 1)),
    ("2018-09-13T00:00:00+02:00", date(2018, 9, 13)), ("3.9.2018", date(2018, 9, 3)),
])
def test_valid_dates(value, expected):
    assert ch.parse_date(value) == (expected, False)


@pytest.mark.parametrize("value", ["2018-09-013", "31/02/2019", "2019-13-01", "13 sept 2018", "bientôt",
                                   "0018-09-13", "13/09/18"])
def test_invalid_dates_are_flagged(value):
    assert ch.parse_date(value) == (None, True)


def test_empty_date_is_not_invalid():
    assert ch.parse_date(None) == (None, False)
    assert ch.parse_date(" ") == (None, False)


@pytest.mark.parametrize(("value", "expected"), [
    ("35", (35.0, False)), (35, (35.0, False)), ("35h", (35.0, False)), ("17,5 heures", (17.5, False)),
    ("20.5", (20.5, False)), ("151,67", (None, True)), ("0", (None, True)), ("beaucoup", (None, True)),
    ("", (None, False)), (None, (None, False)),
])
def test_hours(value, expected):
    assert ch.parse_hours(value) == expected
