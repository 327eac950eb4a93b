"""metrics.public: statistical secrecy at the boundary (4 masked, 5 shown), secondary masking, fixed window.

Hand-built warehouse; the data date is 30 June 2025 (a visit that day), so the window runs from 1 July 2024 to
30 June 2025. Deposits in the window: January 2025, 7 in Paris (accepted, 1 to 7 working days); February, 5 in
the Bouches-du-Rhône (en instruction); March, 4 in the Rhône (refused after 5 working days); April, 1 in the
Hauts-de-Seine (classé sans suite after 7 working days). Before the window: 3 in Paris, June 2023 (accepted).
"""

from datetime import date

import pandas as pd
import pytest

from metrics import db, public
from tests.factories import dossier, make_warehouse, visit

JANUARY_DECISIONS = ("2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10", "2025-01-13", "2025-01-14",
                     "2025-01-15")


def rows() -> list[dict]:
    out = [dossier(n, state="accepte", depose_at="2025-01-06 10:00", traite_at=f"{day} 15:00",
                   nationality="MA" if n <= 5 else "DZ")
           for n, day in enumerate(JANUARY_DECISIONS, start=1)]
    out += [dossier(10 + n, state="en_instruction", departement="13", depose_at="2025-02-03 10:00",
                    nationality="TN") for n in range(5)]
    out += [dossier(20 + n, state="refuse", demarche=3, depose_at="2025-03-03 10:00", traite_at="2025-03-10 10:00",
                    nationality="SN") for n in range(4)]
    out.append(dossier(30, state="sans_suite", departement="92", depose_at="2025-04-01 10:00",
                       traite_at="2025-04-10 10:00", nationality="CN"))
    out += [dossier(40 + n, state="accepte", depose_at="2023-06-05 10:00", traite_at="2023-06-09 10:00")
            for n in range(3)]
    return out


VISITS = [visit(1, day="2025-01-06", started_at="2025-01-06 09:00"),
          visit(2, day="2025-01-20", started_at="2025-01-20 09:00"),
          visit(3, day="2025-06-30", started_at="2025-06-30 09:00")]


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=rows(), visits=VISITS))
    yield
    db.use_database(None)


def values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def test_window_is_the_last_twelve_months_of_data(warehouse):
    f = public.window()
    assert (f.start, f.end, f.departements, f.audience, f.contracts) == (date(2024, 7, 1), date(2025, 6, 30), (),
                                                                          None, ())


def test_summary(warehouse):
    got = public.summary().iloc[0]
    assert (got.deposes, got.acceptes, got.deposes_total, got.acceptes_total) == (17, 7, 20, 10)
    assert got.median_days == 5       # 1 2 3 4 5 5 5 5 5 6 7 7 working days
    assert pd.Timestamp(got.since).date() == date(2023, 6, 5)


def test_monthly_series_masked_at_the_boundary(warehouse):
    got = public.monthly()
    assert len(got) == 12 and got.month.iloc[0] == pd.Timestamp("2024-07-01") and got.complete.all()
    deposits = dict(zip(got.month.dt.strftime("%Y-%m"), values(got.deposes), strict=True))
    assert deposits["2025-01"] == 7 and deposits["2025-02"] == 5        # 5: shown
    assert deposits["2025-03"] is None and deposits["2025-04"] is None  # 4 and 1: masked
    assert deposits["2024-07"] is None                                   # 0 is masked too
    # accepted: only January has 7; the other months hold 0, which the 12-month card (7) would give back,
    # so January is masked as well (secondary secrecy)
    assert values(got.acceptes) == [None] * 12
    medians = dict(zip(got.month.dt.strftime("%Y-%m"), values(got.median_days), strict=True))
    assert medians["2025-01"] == 4 and medians["2025-03"] is None       # 4 decisions in March: no median


def test_status_mix(warehouse):
    got = public.status_mix().set_index("state")
    assert values(got.dossiers) == [None, 5, 7, None, None]   # en construction 0, refusés 4, sans suite 1
    assert got.share.en_instruction == pytest.approx(5 / 17) and pd.isna(got.share.refuse)


def test_by_departement(warehouse):
    got = public.by_departement()
    assert got.departement.tolist() == ["75", "13", "69", "92"]
    assert values(got.dossiers) == [7, 5, None, None]          # 5 shown, 4 masked; masked cells hold 5: enough
    assert got.name.iloc[0] == "Paris" and got.share.iloc[1] == pytest.approx(5 / 17)


def test_top_nationalities_only_ranks_cells_of_five(warehouse):
    got = public.top_nationalities()
    assert got[["rank", "nationality", "dossiers"]].values.tolist() == [[1, "Maroc", 5], [2, "Tunisie", 5]]
    assert got.share.iloc[0] == pytest.approx(5 / 17)


def test_visits_by_month(warehouse):
    got = public.visits_by_month()
    assert dict(zip(got.month.dt.strftime("%Y-%m"), got.visits, strict=True))["2025-01"] == 2
    assert got.visits.sum() == 3 and len(got) == 12


def test_no_dossier_number_nor_link(warehouse):
    for frame in (public.summary(), public.monthly(), public.status_mix(), public.by_departement(),
                  public.top_nationalities(), public.visits_by_month()):
        assert not {"dossier_number", "demarche_number", "url"} & set(frame.columns)


@pytest.mark.parametrize(("cells", "shown"), [
    ((4, 5, 10, 20), (None, None, 10, 20)),   # masked sum 4: the smallest visible cell goes too
    ((4, 3, 10, 20), (None, None, 10, 20)),   # masked sum 7: enough
    ((5, 6, 10), (5, 6, 10)),                 # nothing under 5
    ((0, 12, 30), (None, None, 30)),          # a zero alone would be given back by the total
    ((2, 2), (None, None)),
    ((9, 5, 5), (9, 5, 5)),
])
def test_secondary_secrecy(warehouse, cells, shown):
    relation = "(SELECT * FROM (VALUES " + ", ".join(f"({i}, {n})" for i, n in enumerate(cells)) + ") t(k, n))"
    got = db.query(f"WITH c AS {relation} SELECT k, shown FROM ({public.suppressed_sql('c', 'k')}) ORDER BY k")
    assert values(got.shown) == list(shown)


def test_secondary_secrecy_per_partition(warehouse):
    got = db.query(
        f"""WITH c AS (SELECT * FROM (VALUES ('a', 1, 3), ('a', 2, 8), ('a', 3, 9), ('b', 1, 6), ('b', 2, 7))
                       t(p, k, n))
            SELECT p, k, shown FROM ({public.suppressed_sql('c', 'k', 'p')}) ORDER BY p, k"""
    )
    assert values(got.shown) == [None, None, 9, 6, 7]
