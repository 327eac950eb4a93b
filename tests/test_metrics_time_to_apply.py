"""metrics.time_to_apply on a tiny hand-built visit log, answers worked out by hand.

March 2025: seven visits reach Démarches Simplifiées after 30, 120, 300, 599, 600, 900 and 2 000 seconds
(sorted: median 599, 25th percentile 210, 75th 750, 90th 1 340 by linear interpolation), one never does, one
has a departure stamped before its first page (inconsistent: left out). April: one departure after 100 s.
"""

from datetime import date

import pandas as pd
import pytest

from metrics import db, time_to_apply
from metrics.filters import Filters
from tests.factories import make_warehouse
from tests.test_metrics_audience import journey_visit, step

MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31))
SPRING = Filters(date(2025, 3, 1), date(2025, 4, 30))
S75, E75 = {"departement": "75", "audience": "etudiant"}, {"departement": "75", "audience": "employeur"}


def departure(key: int, start: str, seconds: int, who: dict, **values):
    return journey_visit(key, start, [step(0, "accueil"), step(seconds // 2, "etudiant", **who),
                                      step(seconds, "depart_ds", **who)], **values)


VISITS = [
    departure(1, "2025-03-03 10:00", 30, S75),
    departure(2, "2025-03-04 10:00", 120, S75),
    # Two clicks to DS: the first one counts.
    journey_visit(3, "2025-03-05 10:00", [step(0, "accueil"), step(100, "etudiant", **S75),
                                          step(300, "depart_ds", **S75), step(500, "depart_ds", **S75)]),
    # The DS click in the middle of the visit: the pages after it do not count.
    journey_visit(4, "2025-03-06 10:00", [step(0, "accueil"), step(200, "employeur", **E75),
                                          step(599, "depart_ds", **E75), step(700, "faq")]),
    departure(5, "2025-03-07 10:00", 600, S75, device_type="smartphone"),                 # exactly ten minutes
    departure(6, "2025-03-10 10:00", 900, S75, device_type="smartphone"),
    departure(7, "2025-03-11 10:00", 2000, E75),
    journey_visit(8, "2025-03-12 10:00", [step(0, "accueil"), step(40, "etudiant", **S75)]),  # no departure
    journey_visit(9, "2025-03-13 10:00", [step(-60, "depart_ds", **S75), step(0, "accueil")]),  # clock skew
    departure(10, "2025-04-02 10:00", 100, S75),
]


@pytest.fixture
def warehouse(tmp_path):
    visits, actions = zip(*VISITS, strict=True)
    db.use_database(make_warehouse(tmp_path, visits=visits, actions=[a for acts in actions for a in acts]))
    yield
    db.use_database(None)


def test_summary_quantiles_and_share_under_ten_minutes(warehouse):
    got = time_to_apply.time_summary(MARCH).iloc[0].to_dict()
    assert got == pytest.approx({"departures": 7, "median_s": 599, "p25_s": 210, "p75_s": 750, "p90_s": 1340,
                                 "under_10": 4, "share_under_10": 4 / 7})
    few = time_to_apply.time_summary(Filters(date(2025, 4, 1), date(2025, 4, 30))).iloc[0]
    assert few.departures == 1 and few.under_10 == 1                                        # counts always given
    assert pd.isna(few.median_s) and pd.isna(few.share_under_10)                            # under 5 departures
    none = time_to_apply.time_summary(Filters(date(2020, 1, 1), date(2020, 1, 31))).iloc[0]
    assert none.departures == 0 and pd.isna(none.p90_s)


def test_breakdowns_and_summary_from_one_query(warehouse):
    """``along``: the summary and every breakdown from one cached query, the same frames as asked alone."""
    for f in (MARCH, SPRING, Filters(date(2020, 1, 1), date(2020, 2, 28))):
        alone = [time_to_apply.time_summary(f), *(time_to_apply.time_by(f, by) for by in time_to_apply.BY)]
        db._cached_query.cache_clear()
        joint = [time_to_apply.time_summary(f, time_to_apply.BY),
                 *(time_to_apply.time_by(f, by, time_to_apply.BY) for by in time_to_apply.BY)]
        assert db._cached_query.cache_info().misses == 1
        for a, b in zip(alone, joint, strict=True):
            pd.testing.assert_frame_equal(a, b)
    assert time_to_apply.time_summary(MARCH, ("month",)).iloc[0].to_dict() == pytest.approx(
        {"departures": 7, "median_s": 599, "p25_s": 210, "p75_s": 750, "p90_s": 1340, "under_10": 4,
         "share_under_10": 4 / 7})
    assert time_to_apply.time_by(SPRING, "month", ("device",)).departures.tolist() == [7, 1]


def test_distribution_by_minute_with_an_overflow_bin(warehouse):
    got = time_to_apply.time_distribution(MARCH, cap_minutes=30)
    assert got.minute.tolist() == list(range(31)) and got.overflow.tolist() == [False] * 30 + [True]
    counts = dict(zip(got.minute, got.departures, strict=True))
    assert {m: n for m, n in counts.items() if n} == {0: 1, 2: 1, 5: 1, 9: 1, 10: 1, 15: 1, 30: 1}
    assert got.cumulative_share[9] == pytest.approx(4 / 7) and got.cumulative_share.iloc[-1] == pytest.approx(1)
    assert got.share.sum() == pytest.approx(1)
    empty = time_to_apply.time_distribution(Filters(date(2020, 1, 1), date(2020, 1, 31)), cap_minutes=5)
    assert len(empty) == 6 and empty.departures.sum() == 0 and empty.share.isna().all()


def test_breakdowns_by_device_audience_and_month(warehouse):
    device = time_to_apply.time_by(MARCH, "device")
    assert device.label.tolist() == ["Ordinateur", "Smartphone"] and device.departures.tolist() == [5, 2]
    desktop, phone = device.iloc[0], device.iloc[1]
    assert (desktop.median_s, desktop.p90_s, desktop.under_10) == pytest.approx((300, 1439.6, 4))
    assert desktop.share_under_10 == pytest.approx(0.8)
    assert phone.under_10 == 0 and pd.isna(phone.median_s) and pd.isna(phone.share_under_10)
    public = time_to_apply.time_by(MARCH, "audience")
    assert public.label.tolist() == ["Étudiants", "Employeurs"] and public.departures.tolist() == [5, 2]
    assert (public.median_s[0], public.p90_s[0], public.share_under_10[0]) == pytest.approx((300, 780, 0.6))
    months = time_to_apply.time_by(SPRING, "month")
    assert [k.date() for k in months.key] == [date(2025, 3, 1), date(2025, 4, 1)]
    assert months.departures.tolist() == [7, 1] and months.median_s[0] == pytest.approx(599)
    assert pd.isna(months.median_s[1]) and months.under_10.tolist() == [4, 1]
    employers = time_to_apply.time_by(Filters(MARCH.start, MARCH.end, audience="employeur"), "device")
    assert employers.departures.tolist() == [2]
    with pytest.raises(ValueError):
        time_to_apply.time_by(MARCH, "browser")
