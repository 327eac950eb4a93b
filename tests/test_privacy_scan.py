"""The privacy promise, end to end: personal data in the raw payloads never reaches the warehouse."""

from __future__ import annotations

import re
import unicodedata

import duckdb
import orjson

from tests.privacy_scan import scan

PERSONAL_LABEL = re.compile(
    r"^(nom|prenom|e-?mail|courriel|telephone|date (et lieu )?de naissance|lieu de naissance|adresse|"
    r"numero .*titre|.*employeur.*(nom|raison|adresse|mail|telephone|siret)|.*motivation|salaire)",
)
PERSONAL_VISIT_KEYS = ("visitIp", "visitorId", "fingerprint", "latitude", "longitude", "city", "userId")


def _plain(label: str) -> str:
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return text.replace("’", "'").strip()


def personal_values_in_payloads(raw_dir) -> set[str]:
    """Every personal value the generator put in the raw Matomo and DS payloads."""
    values: set[str] = set()
    for path in (raw_dir / "matomo" / "live").glob("*.json"):
        for visit in orjson.loads(path.read_bytes()):
            values.update(str(visit[k]) for k in PERSONAL_VISIT_KEYS if visit.get(k) not in (None, ""))
    for path in (raw_dir / "ds").glob("*/page-*.json"):
        page = orjson.loads(path.read_bytes())
        for node in page["data"]["demarche"]["dossiers"]["nodes"]:
            for champ in node.get("champs", []) + node.get("annotations", []):
                if PERSONAL_LABEL.match(_plain(champ.get("label", ""))) and champ.get("stringValue"):
                    values.add(champ["stringValue"])
    return values


def test_payloads_really_contain_personal_data(demo_raw):
    values = personal_values_in_payloads(demo_raw)
    assert any("@" in v for v in values), "le générateur doit produire des e-mails à filtrer"
    assert any(re.fullmatch(r"[0-9a-f]{16}", v) for v in values), "et des visitorId"
    assert len(values) > 100


def test_demo_warehouse_holds_no_personal_data(demo_db, demo_raw):
    findings = scan(demo_db, personal_values_in_payloads(demo_raw))
    assert findings == []


def test_scan_catches_what_it_must(tmp_path):
    path = tmp_path / "leaky.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE visits(url VARCHAR, referrer_name VARCHAR, note VARCHAR)")
    con.execute("""INSERT INTO visits VALUES
        ('https://workinfrance.beta.gouv.fr/validitycheck?numero=7501234567', 'www.google.com', 'a'),
        ('https://workinfrance.beta.gouv.fr/student?link=ud75', '89.160.0.12', 'b'),
        ('https://workinfrance.beta.gouv.fr/', 'x', 'jean.dupont@example.org'),
        ('https://workinfrance.beta.gouv.fr/faq#contact', 'x', 'Appeler le 06 12 34 56 78'),
        ('https://workinfrance.beta.gouv.fr/', 'x', 'Dupontel')""")
    con.execute("CREATE TABLE dossiers(email VARCHAR)")
    con.close()
    findings = scan(path, {"Dupontel"})
    joined = "\n".join(findings)
    for expected in ("paramètre d'URL non autorisé", "adresse IP", "e-mail", "téléphone", "fragment d'URL",
                     "valeur personnelle", "colonne suspecte dossiers.email"):
        assert expected in joined, expected
    assert "student?link" not in joined
