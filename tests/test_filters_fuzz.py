"""Fuzzing the URL filter parser: whatever the query string, a valid view and no exception."""

from datetime import date
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.filters import AUDIENCES, Filters, dossier_where, parse_query, to_query

BOUNDS = (date(2023, 11, 23), date(2026, 11, 22))
DEPS = {"75", "69", "13", "2A", "971"}
CONTRACTS = {"apprentissage", "cdd", "autre"}
KEYS = st.sampled_from(["du", "au", "dep", "public", "contrat", "x", "du[]", ""])
NASTY = st.sampled_from(["'; DROP TABLE dossiers; --", "75' OR '1'='1", "2025-02-30", "9999-99-99", "0000-01-01",
                         "1900-01-01", "2999-12-31", "75,69,,", "%00", "etudiant", "employeur", "cdd,apprentissage",
                         "2025-06-01", "../../etc/passwd", "<script>alert(1)</script>", "75" * 500])
VALUES = st.one_of(NASTY, st.text(max_size=40))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(KEYS, VALUES), max_size=8), st.booleans())
def test_any_query_string_gives_a_valid_view(pairs, raw):
    search = "?" + ("&".join(f"{k}={v}" for k, v in pairs) if raw else urlencode(pairs))
    f, notices = parse_query(search, BOUNDS, DEPS, CONTRACTS)
    assert BOUNDS[0] <= f.start <= f.end <= BOUNDS[1]
    assert set(f.departements) <= DEPS and set(f.contracts) <= CONTRACTS
    assert f.audience in (None, *AUDIENCES)
    assert all(isinstance(n, str) and len(n) < 300 for n in notices)
    # What was accepted round-trips through the URL, and only parameters reach the SQL text.
    assert parse_query(to_query(f), BOUNDS, DEPS, CONTRACTS) == (f, [])
    sql, params = dossier_where(f, "depose_at")
    for value in (*f.departements, *f.contracts, f.audience or ""):
        if value:
            assert value not in sql
    assert Filters.from_store(f.to_store()) == f
