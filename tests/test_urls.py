"""URL normalisation on WIF's real URL shapes (static site 2018-19 and Next.js site 2019-21)."""

import csv

import pytest

from etl.urls import RULES_PATH, classify, classify_many, classify_slug, load_rules
from etl.warehouse import REFERENCE_DIR

OLD = "https://work-in-france.beta.gouv.fr"
NEW = "https://workinfrance.beta.gouv.fr"
DS = "https://www.demarches-simplifiees.fr"

CASES = [
    # (type, raw URL) → (page_key, departement, audience, ds_slug)
    # --- static site 2018-19
    ("action", f"{OLD}/", ("accueil", None, None, None)),
    ("action", f"{OLD}/index.html", ("accueil", None, None, None)),
    ("action", f"{OLD}/qualify/student/qualify-1.html?user=etudiant", ("accueil", None, "etudiant", None)),
    ("action", f"{OLD}/qualify/company/qualify-1.html?user=entreprise", ("accueil", None, "employeur", None)),
    ("action", f"{OLD}/qualify/base/qualify-1.html?user=entreprise", ("accueil", None, "employeur", None)),
    ("action", f"{OLD}/qualify/student/qualify-2.html?department=75", ("etudiant", "75", "etudiant", None)),
    ("action", f"{OLD}/qualify/company/qualify-2.html?department=69", ("employeur", "69", "employeur", None)),
    ("action", f"{OLD}/qualify/student/qualify-2.html?department=2a", ("etudiant", "2A", "etudiant", None)),
    ("action", f"{OLD}/qualify/fail.html?department=12", ("non_eligible", "12", None, None)),
    ("action", f"{OLD}/qualify/fail.html", ("non_eligible", None, None, None)),
    ("action", f"{OLD}/faq.html", ("faq", None, None, None)),
    ("action", f"{OLD}/cgu.html", ("cgu", None, None, None)),
    ("action", f"{OLD}/validity_check.html", ("verification", None, None, None)),
    ("outlink", f"{DS}/commencer/ud075-apt-etudiants", ("depart_ds", "75", "etudiant", "ud075-apt-etudiants")),
    ("outlink", f" {DS}/commencer/ud075-apt-etudiants", ("depart_ds", "75", "etudiant", "ud075-apt-etudiants")),
    ("outlink", f"{DS}/commencer/ud069-apt-etudiants-employeur",
     ("depart_ds", "69", "employeur", "ud069-apt-etudiants-employeur")),
    ("outlink", "https://tps.apientreprise.fr/commencer/ud075-apt-etudiants",
     ("depart_ds", "75", "etudiant", "ud075-apt-etudiants")),
    ("download", f"{OLD}/static/pdf/mandat.pdf", ("document", None, None, None)),
    # --- Next.js site 2019-21
    ("action", f"{NEW}/", ("accueil", None, None, None)),
    ("action", f"{NEW}/student?link=ud075-apt-etudiants", ("etudiant", "75", "etudiant", None)),
    ("action", f"{NEW}/student/?link=ud002-apt-etudiants", ("etudiant", "02", "etudiant", None)),
    ("action", f"{NEW}/company?link=ud075-apt-etudiants-employeur", ("employeur", "75", "employeur", None)),
    ("action", f"{NEW}/company?link=ud013-apt-etudiants-employeur-v0", ("employeur", "13", "employeur", None)),
    # Seine-Maritime's student form slug ends in -employeur-v0: the page says student, so does the data
    ("action", f"{NEW}/student?link=ud076-apt-etudiants-employeur-v0", ("etudiant", "76", "etudiant", None)),
    ("action", f"{NEW}/fail?departement=12", ("non_eligible", "12", None, None)),
    ("action", f"{NEW}/fail?departement=974", ("non_eligible", "974", None, None)),
    ("action", f"{NEW}/faq", ("faq", None, None, None)),
    ("action", f"{NEW}/FAQ/", ("faq", None, None, None)),
    ("action", f"{NEW}/cgu", ("cgu", None, None, None)),
    ("action", f"{NEW}/stats", ("stats", None, None, None)),
    ("action", f"{NEW}/stats/introduction", ("stats", None, None, None)),
    ("action", f"{NEW}/validitycheck", ("verification", None, None, None)),
    ("action", f"{NEW}/introduction", ("introduction", None, "employeur", None)),
    ("action", f"{NEW}/changementstatut", ("autre", None, None, None)),
    ("event", f"{NEW}/student?link=ud075-apt-etudiants", ("etudiant", "75", "etudiant", None)),
    ("outlink", f"{DS}/commencer/ud076-apt-etudiants-employeur-v0",
     ("depart_ds", "76", "etudiant", "ud076-apt-etudiants-employeur-v0")),
    ("outlink", f"{DS}/commencer/ud076-apt-etudiants-employeur-emp-v0",
     ("depart_ds", "76", "employeur", "ud076-apt-etudiants-employeur-emp-v0")),
    ("outlink", f"{DS}/commencer/ud051-apt-etudiant", ("depart_ds", "51", "etudiant", "ud051-apt-etudiant")),
    ("outlink", f"{DS}/commencer/ud75-apt-etudiants-employeur",
     ("depart_ds", "75", "employeur", "ud75-apt-etudiants-employeur")),
    ("outlink", f"{DS}/commencer/ud075-introduction-d-un-salarie",
     ("depart_ds", "75", "employeur", "ud075-introduction-d-un-salarie")),
    ("outlink", f"{DS}/dossiers", ("autre", None, None, None)),
    ("outlink", "https://www.legifrance.gouv.fr/affichCodeArticle.do?idArticle=LEGIARTI000006904868",
     ("autre", None, None, None)),
    ("outlink", "mailto:contact@workinfrance.beta.gouv.fr", ("autre", None, None, None)),
    ("download", f"{NEW}/static/pdf/checklist-etudiant.pdf", ("document", None, None, None)),
    # --- tracked on another host (cache, translation proxy): still a WIF page
    ("action", "https://translate.googleusercontent.com/faq", ("faq", None, None, None)),
    ("action", f"{NEW}/nimporte-quoi", ("autre", None, None, None)),
]


@pytest.mark.parametrize(("action_type", "url", "expected"), CASES, ids=[f"{c[0]}:{c[1][-45:]}" for c in CASES])
def test_wif_url_shapes(action_type, url, expected):
    info = classify(url, action_type)
    assert (info.page_key, info.departement, info.audience, info.ds_slug) == expected


def test_classified_url_is_the_sanitised_one():
    info = classify(f"{NEW}/student?link=ud075-apt-etudiants&utm_source=newsletter#documents", "action")
    assert info.url == f"{NEW}/student?link=ud075-apt-etudiants"
    assert classify(f"{OLD}/qualify/fail.html?department=99", "action").url == f"{OLD}/qualify/fail.html"


def test_department_parameter_overrides_nothing_it_cannot_validate():
    assert classify(f"{NEW}/fail?departement=abc", "action").departement is None
    assert classify(f"{NEW}/fail?departement=0612345678", "action").departement is None


def test_rules_file_is_valid_data():
    page_keys = {row["page_key"] for row in csv.DictReader((REFERENCE_DIR / "pages.csv").open(encoding="utf-8"))}
    rules = load_rules()
    assert rules, RULES_PATH
    for rule in rules:
        assert rule.kind in ("url", "slug", "user")
        if rule.page_key:
            assert rule.page_key in page_keys
        assert rule.audience in (None, "etudiant", "employeur")
    # every kind ends with a catch-all, so nothing falls through
    assert [r for r in rules if r.kind == "url"][-1].pattern.pattern == ".*"
    assert [r for r in rules if r.kind == "slug"][-1].pattern.pattern == ".*"


def test_unknown_slug_gives_nothing():
    assert classify_slug("formulaire-quelconque") == (None, None)


def test_classify_many_matches_classify_row_by_row():
    types = [c[0] for c in CASES] + ["action", "outlink"]
    urls = [c[1] for c in CASES] + [None, None]
    frame = classify_many(urls, types)
    frame = frame.astype(object).where(frame.notna(), None)
    assert len(frame) == len(urls)
    for i, (url, action_type) in enumerate(zip(urls, types, strict=True)):
        info = classify(url, action_type)
        assert tuple(frame.iloc[i][["url", "page_key", "departement", "audience", "ds_slug"]]) == (
            info.url, info.page_key, info.departement, info.audience, info.ds_slug)


def test_classify_many_same_url_different_types():
    url = f"{NEW}/static/pdf/mandat.pdf"
    frame = classify_many([url, url, url], ["action", "download", "outlink"])
    assert frame["page_key"].tolist() == ["autre", "document", "autre"]
