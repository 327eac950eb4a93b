"""Fuzzing the URL filter parser: whatever the query string, a valid view, no exception, never an HTTP error."""

from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import db
from metrics.filters import AUDIENCES, Filters, dossier_where, parse_query, to_query
from tests.browser import logged_in_client

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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, VALUES), min_size=40, max_size=80))
def test_long_query_strings_never_raise(pairs):
    f, notices = parse_query("?" + urlencode(pairs), BOUNDS, DEPS, CONTRACTS)
    assert BOUNDS[0] <= f.start <= f.end <= BOUNDS[1]
    assert len(pairs) <= 50 or "Adresse trop longue : tous ses paramètres sont ignorés." in notices


@pytest.fixture(scope="module")
def filter_callback(shell_db):
    """The app's real filter callback (URL → filters store), called over HTTP with a logged-in session."""
    import app

    db.use_database(shell_db)
    client = logged_in_client(app.server)
    client.get("/")
    key = next(k for k in app.app.callback_map if k.startswith("..url.search"))
    entry = app.app.callback_map[key]
    outputs = [{"id": o.component_id, "property": o.component_property} for o in entry["output"]]

    def call(search: str):
        inputs = [{"id": d["id"], "property": d["property"], "value": search if d["id"] == "url" else None}
                  for d in entry["inputs"]]
        return client.post("/_dash-update-component", json={"output": key, "outputs": outputs, "inputs": inputs,
                                                             "state": [], "changedPropIds": ["url.search"]})
    yield call
    db.use_database(None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(KEYS, VALUES), max_size=60))
def test_the_app_answers_any_query_string_without_an_error(filter_callback, pairs):
    response = filter_callback("?" + urlencode(pairs))
    assert response.status_code == 200
    store = response.get_json()["response"]["filters"]["data"]
    assert date.fromisoformat(store["du"]) <= date.fromisoformat(store["au"])
