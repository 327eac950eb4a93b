"""metrics.alerts on a tiny warehouse whose answers were worked out by hand.

Data date (meta.data_end): 30 June 2025, the day dossier 12 is deposited and decided. Period: June 2025.
"""

from datetime import date

import pandas as pd
import pytest

from metrics import alerts, db
from metrics.filters import Filters
from tests.factories import dossier, make_warehouse

JUNE = Filters(date(2025, 6, 1), date(2025, 6, 30))
APT = {"apt_start": "2025-09-01", "apt_end": "2026-06-30"}   # a valid 10-month APT


def row(number, state, *, modified, **values):
    return dossier(number, state=state, modified_at=modified,
                   **{"depose_at": "2025-06-02 09:00", "archived": False, **APT, **values})


ROWS = [
    row(1, "en_construction", modified="2025-06-23 10:00"),                         # 7 days: no alert
    row(2, "en_instruction", modified="2025-06-22 18:00"),                          # 8 days
    row(3, "en_construction", modified=None, depose_at="2025-06-01 09:00"),         # no change since deposit: 29 days
    row(4, "en_instruction", modified="2025-06-29 10:00", apt_start="2024-09-01", apt_end="2025-08-31"),  # 12 months
    row(5, "en_instruction", modified="2025-06-29 10:00", apt_start="2024-09-01", apt_end="2025-09-01"),  # 12 m + 1 d
    row(6, "accepte", traite_at="2025-06-05 10:00", modified="2025-06-05 11:00", apt_start=None),
    row(7, "accepte", traite_at="2025-06-05 10:00", modified="2025-06-06 11:00",            # 25 h after the decision
        apt_start="2025-09-01", apt_end="2025-08-01"),
    row(8, "refuse", traite_at="2025-06-05 10:00", modified="2025-06-06 09:00", apt_start=None),   # 23 h; refused
    row(9, "accepte", depose_at="2025-05-02 09:00", traite_at="2025-05-20 10:00", modified="2025-05-22 10:00",
        apt_start=None),                                                                    # decided before June
    row(10, "en_construction", modified="2025-01-10 10:00", archived=True),
    row(11, "en_instruction", demarche=3, modified="2025-05-01 10:00"),                     # 69, 60 days
    row(12, "accepte", depose_at="2025-06-30 09:00", traite_at="2025-06-30 15:00", modified="2025-06-30 15:30"),
]


@pytest.fixture
def warehouse(tmp_path):
    db.use_database(make_warehouse(tmp_path, dossiers=ROWS))
    yield
    db.use_database(None)


def flagged(frame) -> dict[str, list[int]]:
    return {code: frame[frame.alert == code].dossier_number.tolist() for code in alerts.ALERTS}


def test_each_alert_at_its_boundary(warehouse):
    got = alerts.alert_list(JUNE, alerts.AlertSettings())
    assert flagged(got) == {"sans_modification": [11, 3, 2], "apt_longue": [5], "apt_dates": [6, 7],
                            "modifie_apres_decision": [7]}
    days = {(r.alert, r.dossier_number): r.days for r in got.itertuples()}
    assert days[("sans_modification", 2)] == 8 and days[("sans_modification", 3)] == 29
    assert days[("sans_modification", 11)] == 60
    assert days[("apt_longue", 5)] == 366           # 1/9/2024 → 1/9/2025, both days included
    assert days[("modifie_apres_decision", 7)] == 1
    assert got.alert_label.iloc[0] == "Sans modification depuis plus de 7 jours"
    first = got.iloc[0]
    assert (first.state_label, first.departement_label) == ("En instruction", "69 – Rhône")


def test_one_kind_and_first_rows(warehouse):
    settings = alerts.AlertSettings()
    every = alerts.alert_list(JUNE, settings)
    apt = alerts.alert_list(JUNE, settings, kind="apt_dates")
    assert apt.equals(every[every.alert == "apt_dates"].reset_index(drop=True))
    pd.testing.assert_frame_equal(alerts.alert_list(JUNE, settings, limit=3), every.head(3), check_dtype=False)
    assert alerts.alert_list(JUNE, settings, kind="sans_modification", limit=2).dossier_number.tolist() == [11, 3]
    with pytest.raises(ValueError, match="alerte inconnue"):
        alerts.alert_list(JUNE, settings, kind="toutes")


def test_links_to_the_instructors_interface(warehouse):
    got = alerts.alert_list(JUNE, alerts.AlertSettings()).set_index(["alert", "dossier_number"])
    assert got.loc[("apt_longue", 5), "url"] == "https://www.demarches-simplifiees.fr/procedures/1/dossiers/5"
    custom = alerts.AlertSettings(dossier_url="https://ds.example.test/p/{demarche}/d/{dossier}")
    got = alerts.alert_list(JUNE, custom).set_index(["alert", "dossier_number"])
    assert got.loc[("sans_modification", 11), "url"] == "https://ds.example.test/p/3/d/11"


def test_counts_per_departement_and_totals(warehouse):
    counts = alerts.alert_counts(JUNE, alerts.AlertSettings())
    assert counts.departement.tolist() == ["75", "69"]
    paris = counts.iloc[0]
    assert (paris.sans_modification, paris.apt_longue, paris.apt_dates, paris.modifie_apres_decision) == (2, 1, 2, 1)
    assert paris.dossiers == 5                        # 2, 3, 5, 6, 7 (7 raises two alerts)
    assert counts.iloc[1].to_dict() == {"departement": "69", "label": "69 – Rhône", "sans_modification": 1,
                                              "apt_longue": 0, "apt_dates": 0, "modifie_apres_decision": 0,
                                              "dossiers": 1}
    total = alerts.alert_summary(JUNE, alerts.AlertSettings()).iloc[0].to_dict()
    assert total == {"sans_modification": 3, "apt_longue": 1, "apt_dates": 2, "modifie_apres_decision": 1,
                     "dossiers": 6}


def test_filters_scope_the_alerts(warehouse):
    only_69 = alerts.alert_list(Filters(JUNE.start, JUNE.end, departements=("69",)), alerts.AlertSettings())
    assert only_69.dossier_number.tolist() == [11]
    may = alerts.alert_list(Filters(date(2025, 5, 1), date(2025, 5, 31)), alerts.AlertSettings())
    # open dossiers whatever the period; decided ones of May only (9: APT dates missing, modified 48 h later)
    assert flagged(may)["apt_dates"] == [9] and flagged(may)["modifie_apres_decision"] == [9]
    assert flagged(may)["sans_modification"] == [11, 3, 2]


def test_thresholds(warehouse):
    settings = alerts.AlertSettings(stale_days=29, apt_max_months=24, grace_hours=26)
    got = flagged(alerts.alert_list(JUNE, settings))
    assert got["sans_modification"] == [11] and got["apt_longue"] == [] and got["modifie_apres_decision"] == []
    assert alerts.alert_summary(JUNE, settings).iloc[0].sans_modification == 1


def test_settings_from_environment(caplog):
    env = {"WIF_ALERT_STALE_DAYS": "10", "WIF_ALERT_APT_MAX_MONTHS": "douze", "WIF_ALERT_GRACE_HOURS": "0",
           "WIF_DS_DOSSIER_URL": "https://ds.example.test/{demarche}/{dossier}"}
    settings = alerts.AlertSettings.from_env(env)
    assert settings == alerts.AlertSettings(stale_days=10, dossier_url="https://ds.example.test/{demarche}/{dossier}")
    assert "WIF_ALERT_APT_MAX_MONTHS" in caplog.text and "WIF_ALERT_GRACE_HOURS" in caplog.text
    assert alerts.AlertSettings.from_env({"WIF_DS_DOSSIER_URL": "javascript:alert(1)"}).dossier_url == \
        alerts.DEFAULT_DOSSIER_URL
    assert settings.labels()["sans_modification"] == "Sans modification depuis plus de 10 jours"


def test_empty_scope(warehouse):
    none = Filters(JUNE.start, JUNE.end, departements=("13",))
    assert alerts.alert_list(none, alerts.AlertSettings()).empty
    assert alerts.alert_counts(none, alerts.AlertSettings()).empty
    assert alerts.alert_summary(none, alerts.AlertSettings()).iloc[0].tolist() == [0, 0, 0, 0, 0]
