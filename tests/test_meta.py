"""metrics.meta: freshness, demo flag, stale sources and filter options read from a tiny warehouse."""

from datetime import date, datetime

import pytest

from metrics import db, meta
from tests.browser import add_runs, set_meta
from tests.factories import dossier, make_warehouse, visit


@pytest.fixture
def warehouse(tmp_path):
    path = make_warehouse(
        tmp_path,
        dossiers=[
            dossier(1, depose_at="2024-03-04 10:00", traite_at="2024-03-08 16:00", state="accepte"),
            dossier(2, demarche=3, depose_at="2024-05-02 09:00"),
            dossier(3, depose_at="2024-04-01 09:00", departement="2A"),      # department outside démarches
        ],
        visits=[visit(1, day="2024-02-15", started_at="2024-02-15 10:00", departement="23")],
    )
    set_meta(path, is_demo="true")
    db.use_database(path)
    yield path
    db.use_database(None)


def test_freshness_reads_range_build_time_and_demo_flag(warehouse):
    fresh = meta.freshness()
    assert (fresh.data_start, fresh.data_end) == (date(2024, 2, 15), date(2024, 5, 2))
    assert fresh.bounds == (date(2024, 2, 15), date(2024, 5, 2))
    assert fresh.is_demo is True
    assert fresh.built_at.date() == date.today()


def test_real_warehouse_is_not_demo_and_empty_one_has_fallback_bounds(tmp_path):
    db.use_database(make_warehouse(tmp_path))
    try:
        fresh = meta.freshness()
        assert fresh.is_demo is False and fresh.data_start is None and fresh.data_end is None
        assert fresh.bounds == (fresh.built_at.date(), fresh.built_at.date())
    finally:
        db.use_database(None)


def test_departement_options_cover_every_department_in_the_data(warehouse):
    options = meta.departement_options()
    assert list(options.code) == ["23", "2A", "69", "75"]
    assert dict(zip(options.code, options.name, strict=True))["2A"] == "Corse-du-Sud"
    assert dict(zip(options.code, options.name, strict=True))["75"] == "Paris"


def test_contract_options_follow_the_reference_order(warehouse):
    options = meta.contract_options()
    assert list(options.code[:3]) == ["apprentissage", "professionnalisation", "cdd"]
    assert options.label.iloc[0] == "Contrat d'apprentissage"


def test_stale_sources_are_those_failed_after_their_last_success(warehouse):
    add_runs(warehouse, [
        ("matomo", "success", datetime(2026, 3, 1, 3)),
        ("matomo", "failed", datetime(2026, 3, 2, 3)),      # failed after success: stale
        ("ds", "failed", datetime(2026, 3, 1, 3)),
        ("ds", "success", datetime(2026, 3, 2, 3)),         # recovered: fresh
        ("import", "failed", datetime(2026, 3, 2, 4)),      # never succeeded: stale
    ])
    runs = meta.source_runs().set_index("source")
    assert runs.loc["matomo", "last_error"] == "échec simulé"
    stale = {s.source: s for s in meta.stale_sources()}
    assert set(stale) == {"matomo", "import"}
    assert stale["matomo"].last_success_at == datetime(2026, 3, 1, 3)
    assert stale["matomo"].last_failure_at == datetime(2026, 3, 2, 3)
    assert stale["import"].last_success_at is None


def test_a_failed_all_run_makes_matomo_and_ds_stale(warehouse):
    add_runs(warehouse, [
        ("matomo", "success", datetime(2026, 3, 1, 3)),
        ("ds", "success", datetime(2026, 3, 1, 3)),
        ("all", "failed", datetime(2026, 3, 2, 3)),
    ])
    assert {s.source for s in meta.stale_sources()} == {"matomo", "ds"}
