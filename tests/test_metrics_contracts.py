"""metrics.contracts on a tiny warehouse whose answers were worked out by hand (period: March 2025)."""

from datetime import date

import pytest

from metrics import contracts, db
from metrics.filters import Filters
from tests.factories import dossier, make_warehouse

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))


def deposit(number, contract, *, demande=None, nationality=None, start=None, end=None, **values):
    return dossier(number, depose_at="2025-03-10 10:00", contract_category=contract, demande_type=demande,
                   nationality=nationality, apt_start=start, apt_end=end, **values)


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=[
        deposit(1, "apprentissage", demande="premiere", nationality="MA", start="2025-04-01", end="2025-06-30"),  # 91
        deposit(2, "apprentissage", demande="renouvellement", nationality="MA", start="2025-04-01",
                end="2025-06-29"),                                                                          # 90
        deposit(3, "cdd", demande="premiere", nationality="DZ", start="2025-04-01", end="2025-04-30",
                demarche=3),                                                                                # 30
        deposit(4, "cdd", nationality="DZ", end="2025-04-30"),                                          # no start
        deposit(5, "professionnalisation", demande="renouvellement", nationality="TN", start="2025-04-01",
                end="2026-03-31"),                                                                          # 365
        deposit(6, "apprentissage", demande="premiere", nationality="DZ", start="2025-05-01",
                end="2025-04-01"),                                                                      # inverted
        deposit(7, "apprentissage", demande="premiere", start="2025-01-01", end="2026-01-31"),              # 396
        deposit(8, "professionnalisation", nationality="CN"),                                             # no dates
        dossier(9, depose_at="2025-02-27 10:00", contract_category="cdi"),                        # previous period
    ]))
    yield
    db.use_database(None)


def test_summaries_of_the_period_and_the_previous_one(warehouse):
    got, previous = (row for _, row in contracts.contract_summaries(MARCH).iterrows())
    assert got.deposes == 8
    assert got.alternance_share == pytest.approx(6 / 8)
    assert got.renouvellement_share == pytest.approx(2 / 6)           # 6 dossiers answered
    assert got.long_share == pytest.approx(3 / 5)                      # valid dates: 1, 2, 3, 5, 7
    assert previous.deposes == 1 and previous.alternance_share == 0    # 9: a CDI, no demande, no dates
    assert previous[["renouvellement_share", "long_share"]].isna().all()
    empty = contracts.contract_summaries(Filters(date(2020, 1, 1), date(2020, 1, 31)))
    assert empty.deposes.tolist() == [0, 0] and empty[["alternance_share", "long_share"]].isna().all(axis=None)


def test_apt_lengths_split_at_91_days(warehouse):
    got = contracts.apt_lengths(MARCH)
    assert list(got.bracket) == [label for _, label in contracts.APT_BRACKETS] + [contracts.APT_INVALID]
    assert list(got.dossiers) == [1, 1, 1, 1, 1, 3]
    assert got.long.tolist()[:5] == [False, False, True, True, True] and got.long.isna().iloc[5]
    assert got.share.sum() == pytest.approx(1.0)
    by_contract = contracts.apt_long_by_contract(MARCH)
    assert list(by_contract.key) == ["apprentissage", "professionnalisation", "cdd"]
    assert by_contract[["long", "short", "invalid"]].values.tolist() == [[2, 1, 1], [1, 0, 1], [0, 1, 1]]
    assert by_contract.long_share.isna().all()                          # fewer than 5 valid dates each


def test_demande_types_and_mixes(warehouse):
    types = contracts.demande_types(MARCH)
    assert types[["key", "premiere", "renouvellement", "non_renseigne", "total"]].values.tolist() == [
        ["apprentissage", 3, 1, 0, 4], ["professionnalisation", 0, 1, 1, 2], ["cdd", 1, 0, 1, 2]]
    mix = contracts.contract_mix(MARCH)
    assert list(mix.contract) == ["apprentissage", "professionnalisation", "cdd"]
    assert list(mix.dossiers) == [4, 2, 2] and mix.share.tolist() == pytest.approx([0.5, 0.25, 0.25])
    by_dep = contracts.contract_by_departement(MARCH)
    assert by_dep[["departement", "contract", "dossiers"]].values.tolist() == [
        ["75", "apprentissage", 4], ["75", "professionnalisation", 2], ["75", "cdd", 1], ["69", "cdd", 1]]
    assert by_dep.share.tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7, 1.0])


def test_top_nationalities_break_ties_by_name(warehouse):
    top = contracts.top_nationalities(MARCH, top=2)
    assert top[["contract", "rank", "label", "dossiers"]].values.tolist() == [
        ["apprentissage", 1, "Maroc", 2], ["apprentissage", 2, "Algérie", 1],
        ["professionnalisation", 1, "Chine", 1], ["professionnalisation", 2, "Tunisie", 1],   # tie: by name
        ["cdd", 1, "Algérie", 2]]
    assert top.share.tolist() == pytest.approx([0.5, 0.25, 0.5, 0.5, 1.0])      # unknown nationality counted
    with pytest.raises(ValueError):
        contracts.top_nationalities(MARCH, top=contracts.MAX_TOP + 1)
