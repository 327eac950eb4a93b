"""Both sources of ``python -m etl all`` replayed on 127.0.0.1: Matomo 5.3 and the DS GraphQL API.

``LiveSources`` serves a few recent days of WIF visits and dossiers of two démarches (full nodes, personal
champs included, as the real services hold them) and gives the environment ``etl all`` needs
(``environment(db)``), so a test can run the ETL in-process (``etl.cli.main``) or as a real subprocess.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests import ds_replay, matomo_replay

DEMARCHES_CSV = "demarche_number,departement,audience,slug,title\n" \
                "11,75,etudiant,ud75-apt-etudiants,APT étudiants Paris\n" \
                "12,69,employeur,ud69-apt-employeur,APT employeurs Rhône\n"


class LiveSources:
    """Context manager: ``with LiveSources(folder) as sources: sources.environment(db)``."""

    def __init__(self, folder: Path, days: int = 6, visits_per_day: int = 3, dossiers: int = 8):
        self.folder = Path(folder)
        self.first_day = date.today() - timedelta(days=days - 1)
        self.matomo = matomo_replay.MatomoReplay()
        for i in range(days):
            day = (self.first_day + timedelta(days=i)).isoformat()
            self.matomo.live[day] = matomo_replay.wif_day(day, visits_per_day, seed=i)
            self.matomo.summary[day] = {"nb_visits": visits_per_day}
        self.ds = ds_replay.FakeDS(page_size=4)
        self.ds.add_demarche(11, [ds_replay.make_dossier(n, state="accepte") for n in range(1, dossiers + 1)])
        self.ds.add_demarche(12, [ds_replay.make_dossier(n, departement="69 - Rhône")
                                  for n in range(100, 100 + dossiers // 2)])
        self._http = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._http.expect_request("/api/v2/graphql", method="POST").respond_with_handler(self.ds)

    def __enter__(self) -> LiveSources:
        self.matomo.__enter__()
        self._http.start()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "demarches.csv").write_text(DEMARCHES_CSV, encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        self._http.clear()
        self._http.stop()
        self.matomo.__exit__(*exc)

    def environment(self, db: Path) -> dict[str, str]:
        """Variables of ``python -m etl all`` against these sources, writing ``db``."""
        return {
            "WIF_DB": str(db),
            "MATOMO_URL": self.matomo.url, "MATOMO_SITE_ID": "1", "MATOMO_TOKEN": matomo_replay.TOKEN,
            "MATOMO_START": self.first_day.isoformat(),
            "DS_API_URL": self._http.url_for("/api/v2/graphql"), "DS_TOKEN": ds_replay.TOKEN,
            "DS_DEMARCHES_FILE": str(self.folder / "demarches.csv"),
        }

    @property
    def tokens(self) -> tuple[str, str]:
        return matomo_replay.TOKEN, ds_replay.TOKEN
