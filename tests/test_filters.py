"""Global filters: URL parsing, validation notices, SQL translation on a tiny warehouse."""

from datetime import date

import pytest

from metrics import db
from metrics.filters import Filters, default_period, dossier_where, parse_query, to_query, visit_where
from tests.factories import dossier, make_warehouse

BOUNDS = (date(2023, 12, 1), date(2026, 11, 22))
DEPS = {"75", "69", "2A"}
CONTRACTS = {"apprentissage", "cdd"}


def parse(search):
    return parse_query(search, BOUNDS, DEPS, CONTRACTS)


def test_default_is_last_twelve_months_of_data():
    f, notices = parse("")
    assert (f.start, f.end) == (date(2025, 11, 23), date(2026, 11, 22))
    assert notices == []
    assert default_period(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))


def test_round_trip_and_previous_period():
    f = Filters(date(2025, 1, 1), date(2025, 3, 31), ("75", "69"), "etudiant", ("cdd",))
    assert parse(to_query(f)) == (f, [])
    prev = f.previous()
    assert (prev.start, prev.end) == (date(2024, 10, 3), date(2024, 12, 31))
    assert Filters.from_store(f.to_store()) == f


def test_invalid_values_are_ignored_with_notices():
    f, notices = parse("?du=2025-13-01&au=2026-06-30&dep=75,99,'--&public=robot&contrat=cdd,x")
    assert f.departements == ("75",) and f.audience is None and f.contracts == ("cdd",)
    assert (f.start, f.end) == (date(2025, 11, 23), date(2026, 6, 30))
    assert len(notices) == 4
    inverted, notes = parse("?du=2025-06-01&au=2025-01-01")
    assert (inverted.start, inverted.end) == default_period(BOUNDS[1]) and "inversée" in notes[0]
    huge, notes = parse("?du=1900-01-01&au=2999-01-01")
    assert (huge.start, huge.end) == BOUNDS and "ramenée" in notes[0]


def test_sql_conditions_select_the_right_rows(tmp_path):
    path = make_warehouse(tmp_path, dossiers=[
        dossier(1, depose_at="2025-01-01 00:00"),                       # first instant of the period
        dossier(2, depose_at="2025-03-31 23:59"),                       # last minute of the period
        dossier(3, depose_at="2025-04-01 00:00"),                       # day after
        dossier(4, demarche=3, depose_at="2025-02-01 10:00"),           # Rhône
        dossier(5, demarche=2, depose_at="2025-02-01 10:00", contract_category="cdd"),
    ])
    db.use_database(path)
    try:
        def numbers(f):
            where, params = dossier_where(f, "depose_at")
            return list(db.query(f"SELECT dossier_number FROM dossiers d WHERE {where} ORDER BY 1", params)
                        .dossier_number)
        period = Filters(date(2025, 1, 1), date(2025, 3, 31))
        assert numbers(period) == [1, 2, 4, 5]
        assert numbers(Filters(period.start, period.end, departements=("75",))) == [1, 2, 5]
        assert numbers(Filters(period.start, period.end, audience="employeur")) == [5]
        assert numbers(Filters(period.start, period.end, contracts=("cdd",))) == [5]
        where, params = visit_where(Filters(period.start, period.end, audience="etudiant"))
        assert db.scalar(f"SELECT count(*) FROM visits v WHERE {where}", params) == 0
    finally:
        db.use_database(None)


@pytest.mark.parametrize(("search", "notice"), [
    ("?dep=99", "Valeur inconnue ignorée pour le filtre « département » : 99."),
    ("?du=2025-02-30", "Date « du » invalide"),
    ("?au=31/12/2025", "Date « au » invalide"),
    ("?du=2025-06-01&au=2025-01-01", "Période inversée"),
    ("?du=0001-01-01&au=9999-12-31", "Période ramenée aux données disponibles (01/12/2023 – 22/11/2026)."),
    ("?du=2030-01-01&au=2031-01-01", "Période hors des données disponibles"),
    ("?du=2025-01-01' OR '1'='1", "Date « du » invalide"),
    ("?dep=75'; DROP TABLE dossiers; --", "Valeur inconnue ignorée pour le filtre « département »"),
    ("?public=etudiant' --", "Public inconnu ignoré"),
    ("?contrat=cdd) OR (1=1", "Valeur inconnue ignorée pour le filtre « type de contrat »"),
    ("?dep=" + ",".join(["75"] * 121), "Trop de valeurs pour le filtre « département »"),
    ("?" + "&".join(f"du={i}" for i in range(51)), "Adresse trop longue"),
    ("?departement=75&x=1", "Paramètre inconnu ignoré : departement, x."),
])
def test_each_invalid_parameter_is_ignored_with_its_notice(search, notice):
    f, notices = parse(search)
    assert any(n.startswith(notice) for n in notices), notices
    assert BOUNDS[0] <= f.start <= f.end <= BOUNDS[1]
    assert set(f.departements) <= DEPS and set(f.contracts) <= CONTRACTS and f.audience in (None, "etudiant")
