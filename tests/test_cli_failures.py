"""A failed refresh leaves the data as it was and records the failure against the source that failed."""

import duckdb

from etl.cli import main
from tests.factories import dossier, make_warehouse


def test_failed_source_is_recorded_and_data_kept(tmp_path, monkeypatch, capsys):
    for name in ("MATOMO_URL", "MATOMO_SITE_ID", "MATOMO_TOKEN", "MATOMO_START", "DS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    db = make_warehouse(tmp_path, dossiers=[dossier(1, depose_at="2025-01-02 10:00")])
    assert main(["all", "--db", str(db), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("erreur : ") and "MATOMO" in err[0]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT source, status FROM etl_runs").fetchall() == [("matomo", "failed")]
    assert con.execute("SELECT count(*) FROM dossiers").fetchall() == [(1,)]
    assert not list(tmp_path.glob("*.tmp-*"))
