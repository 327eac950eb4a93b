"""The privacy promise, end to end: personal data in the raw payloads never reaches the warehouse nor the logs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata

import duckdb
import orjson

from tests import ds_replay
from tests.browser import REPO
from tests.ds_replay import personal_values
from tests.live_sources import LiveSources
from tests.matomo_replay import wif_visit
from tests.privacy_scan import scan

SITE = "https://workinfrance.beta.gouv.fr"

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


def live_personal_values(sources) -> set[str]:
    """Every personal value the replayed Matomo and DS hold (what a real refresh would receive)."""
    values: set[str] = set()
    for visits in sources.matomo.live.values():
        for visit in visits:
            values.update(str(visit[k]) for k in (*PERSONAL_VISIT_KEYS, "referrerUrl", "referrerKeyword",
                                                   "dimension1") if visit.get(k) not in (None, ""))
            values.update(v["customVariableValue1"] for v in visit.get("customVariables", {}).values())
            values.update(a["eventName"] for a in visit["actionDetails"] if a.get("eventName"))
    for nodes in sources.ds.dossiers.values():
        for node in nodes:
            values.update(personal_values(node["number"]).values())
            values.update(c["stringValue"] for c in node["annotations"] if c["label"].startswith("Commentaire"))
    return values


def test_a_live_refresh_keeps_no_personal_data_nor_token_in_the_warehouse_or_its_output(tmp_path):
    """``python -m etl all`` (a real process, verbose) on payloads full of personal data, then a failing run."""
    with LiveSources(tmp_path) as sources:
        day = max(sources.matomo.live)
        sources.matomo.live[day].append(wif_visit(
            990, day, 11, [("action", f"{SITE}/validitycheck?numero=7501234567&nom=Ndiaye"),
                           ("action", f"{SITE}/student?link=ud075-apt-etudiants&email=awa.ndiaye@example.org"),
                           ("action", f"{SITE}/recherche?q=titre+de+sejour+Awa+Ndiaye+0611223344")]))
        values = live_personal_values(sources) | {"7501234567", "Ndiaye", "awa.ndiaye@example.org", "0611223344"}
        assert len(values) > 150 and {"203.0.113.77", "5e6f7a8b9c0d1e2f", "48.8566", "7500000001"} <= values
        db = tmp_path / "wif.duckdb"
        env = {**os.environ, **sources.environment(db)}
        command = [sys.executable, "-m", "etl", "all", "--db", str(db)]
        ok = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        sources.ds.fail_next(ds_replay.expired_token())
        failed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and failed.returncode == 1
    assert scan(db, values) == []
    output = "\n".join((ok.stdout, ok.stderr, failed.stdout, failed.stderr))
    assert "INFO" in output and "erreur : " in failed.stderr           # the logs were really captured
    leaked = sorted(v for v in values | set(sources.tokens) if len(v) >= 4 and v in output)
    assert leaked == []
