"""Privacy rules of etl/privacy.py and what survives parse_visits."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.matomo.parse import parse_page_report, parse_visits
from etl.privacy import (
    LIVE_HIDE_COLUMNS,
    _sanitize,
    normalize_departement,
    referrer_host,
    sanitize_many,
    sanitize_title,
    sanitize_url,
)
from etl.warehouse import Warehouse
from tests.matomo_replay import reference, wif_visit
from tests.privacy_scan import scan

NEW = "https://workinfrance.beta.gouv.fr"


@pytest.mark.parametrize(("raw", "clean"), [
    (f"{NEW}/student?link=ud075-apt-etudiants#pieces", f"{NEW}/student?link=ud075-apt-etudiants"),
    (f"{NEW}/fail?departement=75&email=jean.dupont%40example.com", f"{NEW}/fail?departement=75"),
    (f"{NEW}/?utm_source=newsletter&utm_medium=email&utm_campaign=rentree", f"{NEW}/"),
    (f"{NEW}/qualify/fail.html?department=2b", f"{NEW}/qualify/fail.html?department=2B"),
    (f"{NEW}/qualify/fail.html?department=7", f"{NEW}/qualify/fail.html?department=07"),
    (f"{NEW}/qualify/fail.html?department=99", f"{NEW}/qualify/fail.html"),
    (f"{NEW}/qualify/student/qualify-1.html?user=etudiant", f"{NEW}/qualify/student/qualify-1.html?user=etudiant"),
    (f"{NEW}/qualify/student/qualify-1.html?user=Jean%20Dupont", f"{NEW}/qualify/student/qualify-1.html"),
    (f"{NEW}/student?link=0612345678", f"{NEW}/student"),
    (f"{NEW}/student?link=jean.dupont@example.com", f"{NEW}/student"),
    (f"{NEW}/student?q=jean&nom=Dupont&tel=0612345678", f"{NEW}/student"),
    ("https://jean:secret@WorkInFrance.beta.gouv.fr:443/faq", f"{NEW}/faq"),
    ("http://localhost:8080/faq?x=1", "http://localhost:8080/faq"),
    (f"{NEW}/profil/jean.dupont@example.com/edit", f"{NEW}/profil/_/edit"),
    (f"{NEW}/rappel/06%2012%2034%2056%2078", f"{NEW}/rappel/_"),
    (f"{NEW}/v/5e6f7a8b9c0d1e2f", f"{NEW}/v/_"),
    ("mailto:jean.dupont@example.com?subject=APT", "mailto:"),
    ("tel:+33612345678", "tel:"),
    ("/student?link=ud069-apt-etudiants&x=y", "/student?link=ud069-apt-etudiants"),
    ("Others", "(autres)"),
    ("", None),
    (None, None),
])
def test_sanitize_url(raw, clean):
    assert sanitize_url(raw) == clean


def test_sanitize_many_maps_each_distinct_value_once():
    values = [f"{NEW}/faq#a", None, f"{NEW}/faq#a", f"{NEW}/?utm_source=x"]
    assert list(sanitize_many(values)) == [f"{NEW}/faq", None, f"{NEW}/faq", f"{NEW}/"]


@pytest.mark.parametrize(("raw", "host"), [
    ("https://www.google.com/search?q=jean+dupont+titre+de+sejour", "www.google.com"),
    ("https://t.co/abc", "t.co"),
    ("http://user:pw@Etudiant.Gouv.fr:8443/fr/apt?email=jean@x.fr#top", "etudiant.gouv.fr"),
    ("twitter.com", "twitter.com"),
    ("not a url", None),
    (None, None),
])
def test_referrer_host(raw, host):
    assert referrer_host(raw) == host


@pytest.mark.parametrize(("raw", "clean"), [
    ("Work in France - Étudiant", "Work in France - Étudiant"),
    (f"{NEW}/student?link=ud075-apt-etudiants&email=jean@x.fr", f"{NEW}/student?link=ud075-apt-etudiants"),
    ("Contact jean.dupont@example.com ou 06 12 34 56 78", "Contact … ou …"),
    (None, None),
])
def test_sanitize_title(raw, clean):
    assert sanitize_title(raw) == clean


def test_normalize_departement():
    assert [normalize_departement(v) for v in ("75", "075", "2a", "1", "974", "99", "20", "x", None)] == [
        "75", "75", "2A", "01", "974", None, None, None, None]


PERSONAL_KEYS = ("visitIp", "visitorId", "fingerprint", "userId", "latitude", "longitude", "city",
                 "customVariables", "dimension1", "referrerKeyword")


def _wif_visits():
    return [
        wif_visit(1, "2020-09-14", 10, [
            ("action", f"{NEW}/?utm_source=newsletter&utm_campaign=jean.dupont@example.com"),
            ("action", f"{NEW}/student?link=ud075-apt-etudiants&nom=Dupont#pieces"),
            ("event", f"{NEW}/student?link=ud075-apt-etudiants"),
            ("download", f"{NEW}/static/pdf/mandat.pdf?email=jean.dupont@example.com"),
            ("outlink", "https://www.demarches-simplifiees.fr/commencer/ud075-apt-etudiants?prenom=Jean"),
        ]),
        wif_visit(2, "2020-09-14", 11, [("action", f"{NEW}/fail?departement=12&tel=0612345678")],
                  referrerType="campaign", referrerName="jean.dupont@example.com",
                  referrerUrl="https://mail.example.com/?to=jean.dupont@example.com"),
        wif_visit(3, "2020-09-14", 12, [("action", f"{NEW}/faq")], referrerType="search", referrerName="Google",
                  referrerUrl="https://www.google.com/search?q=jean+dupont"),
    ]


def _all_text(*frames: pd.DataFrame) -> str:
    return "\n".join(frame.astype(str).to_csv(index=False) for frame in frames)


def test_nothing_personal_survives_parse_visits():
    records = _wif_visits()
    visits, actions = parse_visits(records, site_id=1, first_visit_key=1)
    text = _all_text(visits, actions)
    personal = ["203.0.113.77", "5e6f7a8b9c0d1e2f", "a1b2c3d4e5f60718", "48.8566", "2.3522", "jean", "Dupont",
                "0612345678", "utm_", "prenom", "email", "nom=", "tel=", "#", "?to=", "q=", "Paris"]
    for value in personal:
        assert value.lower() not in text.lower(), value
    forbidden_columns = {"visitIp", "visitorId", "fingerprint", "latitude", "longitude", "city", "userId", "idVisit"}
    assert not forbidden_columns & (set(visits.columns) | set(actions.columns))
    # what must survive does survive
    assert set(actions["url"]) >= {f"{NEW}/student?link=ud075-apt-etudiants", f"{NEW}/fail?departement=12",
                                   "https://www.demarches-simplifiees.fr/commencer/ud075-apt-etudiants"}
    assert visits["referrer_name"].tolist()[1:] == ["mail.example.com", "Google"]
    assert visits["region_name"].tolist() == ["Île-de-France"] * 3


def test_real_reference_visit_loses_its_personal_fields():
    record = reference("Live.getLastVisitsDetails.json")[0]
    visits, actions = parse_visits([record], 1, 1)
    text = _all_text(visits, actions)
    for key in ("visitIp", "visitorId", "fingerprint"):
        assert str(record[key]) not in text
    assert "apply online" not in text           # referrerKeyword
    assert "google.com/search" not in text      # referrer URL: name only for search engines
    assert "postcode" not in text               # event name (may hold what a user typed)


def test_visit_id_is_only_a_per_run_surrogate():
    records = _wif_visits()
    visits, _ = parse_visits(records, 1, first_visit_key=500)
    assert visits["visit_key"].tolist() == [500, 501, 502]


def test_live_requests_ask_the_server_to_drop_personal_columns():
    assert {"visitIp", "visitorId", "fingerprint", "userId", "latitude", "longitude", "city",
            "customVariables", "referrerKeyword"} <= set(LIVE_HIDE_COLUMNS)


def test_page_reports_keep_no_query_values():
    rows = [{"label": "/student?link=ud075-apt-etudiants&email=jean@x.fr", "nb_hits": "3", "nb_visits": 2,
             "url": f"{NEW}/student?link=ud075-apt-etudiants&email=jean@x.fr#a"},
            {"label": "/student?link=ud075-apt-etudiants", "nb_hits": 1, "nb_visits": "1",
             "url": f"{NEW}/student?link=ud075-apt-etudiants"}]
    frame = parse_page_report(rows, 1, "pages", "2020-09-14")
    assert frame["url"].tolist() == [f"{NEW}/student?link=ud075-apt-etudiants"]
    assert frame[["nb_hits", "nb_visits"]].values.tolist() == [[4, 3]]


def test_warehouse_built_from_parsed_visits_passes_the_privacy_scan(tmp_path):
    records = _wif_visits() + reference("Live.getLastVisitsDetails.json") + reference(
        "Live.getLastVisitsDetails_conv.json")
    visits, actions = parse_visits(records, 1, 1)
    target = tmp_path / "wif.duckdb"
    with Warehouse(target, incremental=False) as wh:
        wh.load("visits", visits)
        wh.load("actions", actions)
        wh.finalize()
        wh.publish()
    personal = {str(r.get(k)) for r in records for k in PERSONAL_KEYS if r.get(k) not in (None, "")}
    personal |= {"jean.dupont@example.com", "Dupont", "0612345678", "apply online"}
    assert scan(target, personal) == []


@given(path=st.sampled_from(["https://workinfrance.beta.gouv.fr/student", "/company", "http://Exemple.fr:8080/a b",
                             "https://wif.fr/jean.dupont@mail.fr/x", "mailto:x@y.fr", "wif.fr/x"]),
       query=st.lists(st.tuples(st.sampled_from(["link", "LINK", "departement", "user", "nom", "email", "%6Cink",
                                                 "q", ""]),
                                st.sampled_from(["ud075-apt-etudiants", "75", "etudiant", "Jean Dupont",
                                                 "jean@x.fr", "%37%35", "", "a#b"])), max_size=3),
       fragment=st.sampled_from(["", "#top", "#link=ud075-apt-etudiants", "?"]))
def test_the_query_shortcut_gives_the_full_parse_answer(path, query, fragment):
    url = path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "") + fragment
    assert sanitize_url(url) == _sanitize(url)
