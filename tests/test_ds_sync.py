"""sync_ds against the replayed DS API with the real Warehouse: incremental, idempotent, complete."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from etl.ds.client import DSClient, DSError, DSUnavailableError
from etl.ds.parse import PARIS, Demarche
from etl.ds.sync import SAFETY_MARGIN, DSConfig, sync_ds
from etl.warehouse import Warehouse
from tests.ds_replay import TOKEN, FakeDS, make_dossier, personal_values, server_error, serving
from tests.test_ds_parse import ds_findings

DEMARCHES = {
    11: Demarche(11, "75", "etudiant", "ud75-apt-etudiants"),
    12: Demarche(12, "69", "employeur", "ud69-apt-etudiants-employeur"),
}
RUN1 = datetime(2019, 10, 1, 6, 0, tzinfo=PARIS)


@pytest.fixture
def fake():
    fake = FakeDS(page_size=4)
    fake.add_demarche(11, [make_dossier(n, modified=f"2019-09-{n:02d}T12:00:00+02:00") for n in range(1, 11)],
                      deleted=[(500, "2019-08-01T10:00:00+02:00")])
    fake.add_demarche(12, [make_dossier(n, state="accepte", contract="Stage", start="2018-09-013")
                           for n in range(20, 26)])
    with serving(fake):
        yield fake


def run_sync(target, fake, now, **kwargs) -> dict:
    client = DSClient(fake.url, TOKEN, sleep=lambda s: None, timeout=5, **kwargs)
    with Warehouse(target) as wh:
        stats = sync_ds(wh, client, DEMARCHES, progress=False, now=now)
        wh.publish()
    return stats


def dossiers(target) -> list[tuple]:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute("SELECT * FROM dossiers ORDER BY demarche_number, dossier_number").fetchall()
    finally:
        con.close()


def test_sync_is_incremental_idempotent_and_complete(tmp_path, fake):
    target = tmp_path / "wif.duckdb"
    first = run_sync(target, fake, RUN1)
    assert first == {"demarches": 2, "pages": 5, "dossiers": 16, "deleted": 0, "invalid_dates": 6,
                     "unknown_contracts": 6, "unknown_nationalities": 0, "unknown_departements": 0,
                     "invalid_hours": 0, "watermark": "2019-10-01T05:00:00+02:00"}
    rows = dossiers(target)
    assert len(rows) == 16
    personal = {v for n in list(range(1, 11)) + list(range(20, 26)) for v in personal_values(n).values()}
    assert ds_findings(target, personal) == []

    # second run at once: updatedSince = previous start minus the margin, nothing changes
    run2 = datetime(2019, 10, 1, 7, 0, tzinfo=PARIS)
    fake.sent.clear()
    second = run_sync(target, fake, run2)
    assert {s.variables["since"] for s in fake.sent if s.operation in ("WifDossiers", "WifDeletedDossiers")} == {
        (RUN1 - SAFETY_MARGIN).isoformat()}
    assert (second["dossiers"], second["deleted"], second["pages"]) == (0, 0, 2)
    assert dossiers(target) == rows

    # DS changes: dossier 3 decided, dossier 5 deleted, dossier 11 deposited
    changed = next(n for n in fake.dossiers[11] if n["number"] == 3)
    changed.update(make_dossier(3, state="refuse", traite="2019-10-02T10:00:00+02:00"))
    fake.dossiers[11] = [n for n in fake.dossiers[11] if n["number"] != 5]
    fake.deleted[11].append({"number": 5, "dateSupression": "2019-10-02T11:00:00+02:00"})
    fake.dossiers[11].append(make_dossier(11, state="en_construction", depot="2019-10-02T12:00:00+02:00"))
    third = run_sync(target, fake, datetime(2019, 10, 3, 6, 0, tzinfo=PARIS))
    assert (third["dossiers"], third["deleted"]) == (2, 1)
    after = {(r[0], r[1]): r for r in dossiers(target)}
    assert len(after) == 16 and (11, 5) not in after and (11, 11) in after
    assert after[(11, 3)][5] == "refuse" and after[(11, 3)][9] == datetime(2019, 10, 2, 10, 0)

    # and two runs in a row change nothing
    before = dossiers(target)
    run_sync(target, fake, datetime(2019, 10, 3, 7, 0, tzinfo=PARIS))
    assert dossiers(target) == before

    con = duckdb.connect(str(target), read_only=True)
    runs = con.execute("SELECT scope, count(*), max(watermark) FROM etl_runs WHERE source = 'ds' GROUP BY 1 "
                       "ORDER BY 1").fetchall()
    con.close()
    assert runs == [("11", 4, "2019-10-03T06:00:00+02:00"), ("12", 4, "2019-10-03T06:00:00+02:00")]


def test_a_crash_leaves_the_published_warehouse_serving(tmp_path, fake):
    target = tmp_path / "wif.duckdb"
    run_sync(target, fake, RUN1)
    rows = dossiers(target)
    fake.dossiers[11].append(make_dossier(99, modified="2019-10-05T10:00:00+02:00"))
    fake.fail_next(None, *[server_error(502)] * 3)  # descriptors OK, then DS down for the 3 tries of page 1
    with pytest.raises(DSUnavailableError):
        run_sync(target, fake, datetime(2019, 10, 6, tzinfo=PARIS), max_retries=2)
    assert dossiers(target) == rows
    assert not list(tmp_path.glob("*.tmp-*"))
    # the failed run recorded nothing: the next run starts from the last successful watermark
    fake.sent.clear()
    run_sync(target, fake, datetime(2019, 10, 7, tzinfo=PARIS))
    assert next(s for s in fake.sent if s.operation == "WifDossiers").variables["since"] == (
        RUN1 - SAFETY_MARGIN).isoformat()
    assert len(dossiers(target)) == 17


def test_config_from_env(tmp_path):
    demarches = tmp_path / "demarches.csv"
    demarches.write_text("demarche_number,departement,audience\n1,75,etudiant\n", encoding="utf-8")
    config = DSConfig.from_env({"DS_TOKEN": TOKEN, "DS_DEMARCHES_FILE": str(demarches)})
    assert config.api_url == "https://www.demarches-simplifiees.fr/api/v2/graphql"
    assert config.demarches_file == demarches and TOKEN not in repr(config)
    other = DSConfig.from_env({"DS_TOKEN": TOKEN, "DS_DEMARCHES_FILE": str(demarches),
                               "DS_API_URL": "https://demarche.numerique.gouv.fr/api/v2/graphql"})
    assert other.api_url.startswith("https://demarche.numerique.gouv.fr")
    with pytest.raises(DSError, match="DS_TOKEN n'est pas défini"):
        DSConfig.from_env({"DS_DEMARCHES_FILE": str(demarches)})
    with pytest.raises(DSError, match="DS_DEMARCHES_FILE introuvable : .*absent.csv.*demarches.example.csv"):
        DSConfig.from_env({"DS_TOKEN": TOKEN, "DS_DEMARCHES_FILE": str(tmp_path / "absent.csv")})
