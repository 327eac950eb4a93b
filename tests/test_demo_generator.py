"""Demo generator: determinism, real formats, internal consistency, rollout, funnel and realism.

Files are generated once per module at a small scale (``SCALE``); realism figures are checked on the
in-memory simulation at a larger scale (no files, fast).
"""

from __future__ import annotations

import base64
import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from etl.demo import dossiers as dossier_sim
from etl.demo import journeys, visitors
from etl.demo import model as m
from etl.demo.generator import DemoError, generate
from etl.demo.period import Period
from etl.ds.parse import load_demarches, parse_dossiers
from etl.matomo.parse import parse_page_report, parse_visits, parse_visits_summary

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "matomo-5.3"
END = date(2021, 3, 23)
SCALE, SEED = 0.03, 7
REPORTS = ("Actions.getPageUrls", "Actions.getEntryPageUrls", "Actions.getExitPageUrls")
# actionDetails of downloads and outlinks, in Matomo's order (plugins/Actions/VisitorDetails.php:
# queryActionsForVisits + extendActionDetails): no timeSpent, a null pageTitle, the page's position.
LINK_KEYS = ["type", "url", "pageTitle", "pageIdAction", "idpageview", "serverTimePretty", "pageId",
             "pageviewPosition", "icon", "iconSVG", "title", "subtitle", "timestamp"]
# Typed value each DS champ type carries besides id / label / __typename / stringValue (schema.graphql).
CHAMP_TYPED = {"TextChamp": "value", "DropDownListChamp": "value", "DateChamp": "date", "PaysChamp": "pays",
               "DepartementChamp": "departement", "IntegerNumberChamp": "integerNumber",
               "DecimalNumberChamp": "decimalNumber", "CheckboxChamp": "checked", "CiviliteChamp": "civilite",
               "AddressChamp": "address"}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _load(path: Path):
    return orjson.loads(path.read_bytes())


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "raw"
    generate(folder, seed=SEED, scale=SCALE, end=END, progress=False)
    return folder


@pytest.fixture(scope="module")
def live(raw) -> dict[str, list[dict]]:
    return {p.stem: _load(p) for p in sorted((raw / "matomo" / "live").glob("*.json"))}


@pytest.fixture(scope="module")
def ds_pages(raw) -> dict[int, list[dict]]:
    return {int(f.name): [_load(p) for p in sorted(f.glob("page-*.json"))] for f in sorted((raw / "ds").iterdir())}


@pytest.fixture(scope="module")
def nodes(ds_pages) -> list[dict]:
    return [n for pages in ds_pages.values() for p in pages for n in p["data"]["demarche"]["dossiers"]["nodes"]]


# ---------------------------------------------------------------------------- determinism and layout
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, raw):
    """Also written by two worker processes: the files do not depend on how the work is split."""
    manifest = generate(tmp_path / "again", seed=SEED, scale=SCALE, end=END, progress=False, workers=2)
    generate(tmp_path / "other", seed=SEED + 1, scale=SCALE, end=END, progress=False)
    first, again, other = _files(raw), _files(tmp_path / "again"), _files(tmp_path / "other")
    assert first == again
    assert first.keys() - {"manifest.json"} and first["manifest.json"] != other["manifest.json"]
    assert sum(first[k] != other.get(k) for k in first) > 0.5 * len(first)   # quiet days stay `[]`
    assert (manifest["start"], manifest["end"]) == ("2018-03-24", "2021-03-23")


def test_layout_and_manifest(raw, live):
    manifest = _load(raw / "manifest.json")
    assert list(manifest)[:6] == ["seed", "scale", "start", "end", "site_id", "site_url"]
    assert manifest["site_url"] == "https://workinfrance.beta.gouv.fr" and manifest["site_id"] == 1
    days = pd.date_range(manifest["start"], manifest["end"]).strftime("%Y-%m-%d").tolist()
    assert len(days) == 1096
    assert sorted(live) == sorted(set(days) - set(manifest["purged_days"]))
    for name in ("VisitsSummary.get", *REPORTS):
        assert list(_load(raw / "matomo" / f"{name}.json")) == days
    demarches = load_demarches(raw / "demarches.csv")
    assert sorted(p.name for p in (raw / "ds").iterdir()) == sorted(str(n) for n in demarches)
    assert {d.audience for d in demarches.values()} == {"etudiant", "employeur"}
    assert len({d.departement for d in demarches.values()}) == len(m.ROLLOUT)
    assert manifest["visits"] == sum(map(len, live.values()))
    assert manifest["dossiers"] == sum(manifest["states"].values()) > 0


def test_fractional_scales_and_refusals(tmp_path):
    manifest = generate(tmp_path / "tiny", seed=1, scale=0.005, end=date(2026, 11, 22), progress=False)
    assert manifest["start"] == "2023-11-23" and manifest["visits"] > 100
    with pytest.raises(DemoError):
        generate(tmp_path / "bad", scale=0, progress=False)
    foreign = tmp_path / "not-demo"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("x")
    with pytest.raises(DemoError):
        generate(foreign, scale=0.005, end=END, progress=False)
    assert (foreign / "precious.txt").exists()


# ---------------------------------------------------------------------------- Matomo shapes
def test_live_records_have_the_reference_shape(live):
    reference = json.loads((REFERENCE / "Live.getLastVisitsDetails.json").read_text())
    ref_visit = reference[0]
    ref_page = next(a for a in ref_visit["actionDetails"] if a["type"] == "action")
    records = [r for day in live.values() for r in day]
    assert records
    types = Counter()
    for r in records:
        assert list(r) == list(ref_visit)
        for key in ("idVisit", "firstActionTimestamp", "visitDuration", "actions", "visitCount"):
            assert type(r[key]) is type(ref_visit[key])
        for a in r["actionDetails"]:
            types[a["type"]] += 1
            if a["type"] == "action":
                assert list(a) == list(ref_page)
                assert all(type(a[k]) is type(ref_page[k]) for k in ref_page)
            else:
                assert list(a) == LINK_KEYS and a["pageTitle"] is None
                assert a["title"] == {"download": "Download", "outlink": "Outlink"}[a["type"]]
    assert set(types) == {"action", "download", "outlink"}       # WIF tracked no events, no goals
    assert {r["deviceType"] for r in records} == {"Desktop", "Smartphone", "Tablet"}
    personal = [r for r in records if r["visitIp"] and r["visitorId"] and r["latitude"] and r["city"]]
    assert personal, "IP, visitorId, coordinates and city must be there for the loader to drop"


def test_live_days_are_newest_first_and_belong_to_their_day(live):
    for day, records in live.items():
        lasts = [r["lastActionTimestamp"] for r in records]
        assert lasts == sorted(lasts, reverse=True)
        for r in records:
            stamps = [a["timestamp"] for a in r["actionDetails"]]
            assert stamps == sorted(stamps) and stamps[0] == r["firstActionTimestamp"]
            assert stamps[-1] == r["lastActionTimestamp"]
            assert r["visitDuration"] == (stamps[-1] - stamps[0] + 1 if len(stamps) > 1 else 0)
            assert r["actions"] == len(stamps)
            assert r["interactions"] == sum(a["type"] == "action" for a in r["actionDetails"])
            assert r["serverDatePretty"] == datetime.fromisoformat(day).strftime("%A, %B %-d, %Y")


def test_visits_summary_equals_live_counts(raw, live):
    summary = _load(raw / "matomo" / "VisitsSummary.get.json")
    reference = _load(REFERENCE / "VisitsSummary.get_dayrange.json")["2026-11-18"]
    checked = 0
    for day, records in live.items():
        if not records:
            assert summary[day] == []
            continue
        s = summary[day]
        assert list(s) == list(reference) and all(type(s[k]) is type(reference[k]) for k in
                                                  ("nb_visits", "nb_actions", "bounce_rate", "avg_time_on_site"))
        actions = [len(r["actionDetails"]) for r in records]
        length = sum(r["visitDuration"] for r in records)
        assert s["nb_visits"] == len(records)
        assert s["nb_actions"] == sum(actions)
        assert s["bounce_count"] == sum(n == 1 for n in actions)
        assert s["sum_visit_length"] == length
        assert s["max_actions"] == max(actions)
        assert s["nb_uniq_visitors"] == len({r["visitorId"] for r in records})
        assert s["avg_time_on_site"] == round(length / len(records) + 1e-9)
        checked += 1
    assert checked > 500


def _expected_pages(records: list[dict]) -> dict[str, dict]:
    """Actions.getPageUrls metrics recomputed from one day's Live visits, by URL."""
    out = defaultdict(lambda: defaultdict(int))
    for r in records:
        details = r["actionDetails"]
        views = [a for a in details if a["type"] == "action"]
        for url in {a["url"] for a in views}:
            out[url]["nb_visits"] += 1
        for a in views:
            out[a["url"]]["nb_hits"] += 1
        entry = out[views[0]["url"]]
        entry["entry_nb_visits"] += 1
        entry["entry_nb_actions"] += len(details)
        entry["entry_sum_visit_length"] += r["visitDuration"]
        entry["entry_bounce_count"] += len(details) == 1
        out[views[-1]["url"]]["exit_nb_visits"] += 1
        page = None
        for prev, a in zip([None, *details], details, strict=False):
            if prev is not None and a["timestamp"] > prev["timestamp"]:
                out[page]["sum_time_spent"] += a["timestamp"] - prev["timestamp"]
            page = a["url"] if a["type"] == "action" else page
    return out


def test_page_reports_are_consistent_with_live(raw, live):
    reports = {name: _load(raw / "matomo" / f"{name}.json") for name in REPORTS}
    ref_rows = _load(REFERENCE / "Actions.getPageUrls_flat.json")
    page_keys = [k for k in [*ref_rows[0], *ref_rows[1]] if k != "goals"]
    page_keys = list(dict.fromkeys(page_keys[:10] + ["exit_nb_uniq_visitors", "exit_nb_visits"] + page_keys[10:]))
    entry_keys = list(_load(REFERENCE / "Actions.getEntryPageUrls_day_flat.json")[0])
    exit_keys = list(_load(REFERENCE / "Actions.getExitPageUrls_day_flat.json")[0])
    checked = 0
    for day, records in live.items():
        pages = {row["url"]: row for row in reports["Actions.getPageUrls"][day]}
        entries = {row["url"]: row for row in reports["Actions.getEntryPageUrls"][day]}
        exits = {row["url"]: row for row in reports["Actions.getExitPageUrls"][day]}
        expected = _expected_pages(records)
        assert pages.keys() == expected.keys()
        for url, row in pages.items():
            e = expected[url]
            assert list(row) == [k for k in page_keys if k in row]
            assert row["label"] == url.removeprefix(m.SITE_URL) == row["Actions_PageUrl"]
            for key in ("nb_visits", "nb_hits", "sum_time_spent"):
                assert row[key] == e[key], (day, url, key)
            for key in ("entry_nb_visits", "entry_nb_actions", "entry_sum_visit_length", "entry_bounce_count",
                        "exit_nb_visits"):
                assert int(row.get(key, 0)) == e[key], (day, url, key)
                assert key in row or not e[key]            # zero metrics are omitted
            if e["entry_nb_visits"]:
                assert list(entries[url]) == entry_keys and entries[url]["entry_nb_visits"] == str(e["entry_nb_visits"])
            if e["exit_nb_visits"]:
                assert list(exits[url]) == exit_keys and exits[url]["exit_nb_visits"] == str(e["exit_nb_visits"])
        assert entries.keys() <= pages.keys() and exits.keys() <= pages.keys()
        hits = [row["nb_hits"] for row in reports["Actions.getPageUrls"][day]]
        assert hits == sorted(hits, reverse=True)
        checked += bool(records)
    assert checked > 500


def test_purged_and_outage_days(raw, live):
    manifest = _load(raw / "manifest.json")
    summary = _load(raw / "matomo" / "VisitsSummary.get.json")
    pages = _load(raw / "matomo" / "Actions.getPageUrls.json")
    assert len(manifest["purged_days"]) == m.PURGED_BLOCK[2] and len(manifest["outage_days"]) == m.OUTAGE_BLOCK[2]
    for day in manifest["purged_days"]:
        assert not (raw / "matomo" / "live" / f"{day}.json").exists()
    assert sum(summary[d]["nb_visits"] for d in manifest["purged_days"] if summary[d]) > 0
    assert all(pages[d] for d in manifest["purged_days"] if summary[d])
    for day in manifest["outage_days"]:
        assert live[day] == [] and summary[day] == [] and pages[day] == []
    assert manifest["visits_reported"] == manifest["visits"] + sum(
        summary[d]["nb_visits"] for d in manifest["purged_days"] if summary[d])


def test_urls_follow_the_two_site_generations_and_carry_what_privacy_must_remove(live):
    urls = Counter()
    referrers = set()
    for day, records in live.items():
        for r in records:
            referrers.add(r["referrerUrl"] or "")
            for a in r["actionDetails"]:
                urls[(day < "2018-11-24", a["url"].split("?")[0].split("#")[0])] += 1
    old = {u for (is_old, u) in urls if is_old}
    new = {u for (is_old, u) in urls if not is_old}
    assert f"{m.SITE_URL}/qualify/student/qualify-1.html" in old and f"{m.SITE_URL}/student" in new
    assert f"{m.SITE_URL}/company" in new and f"{m.SITE_URL}/fail" in new
    assert not any("/qualify/" in u for u in new if u.startswith(m.SITE_URL))
    assert any(u.startswith("https://www.demarches-simplifiees.fr/commencer/ud0") for u in new)
    assert any(u.endswith(".pdf") for u in new)
    everything = [a["url"] for records in live.values() for r in records for a in r["actionDetails"]]
    assert any("?numero=" in u for u in everything) and any("utm_" in u for u in everything)
    assert any("#" in u for u in everything)
    assert any("google" in u and "q=" in u for u in referrers) and any("utm_source" in u for u in referrers)


# ---------------------------------------------------------------------------- DS pages
def _decode(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def test_ds_pages_chain_cursors(ds_pages):
    states = Counter()
    for number, pages in ds_pages.items():
        assert pages
        for k, page in enumerate(pages):
            demarche = page["data"]["demarche"]
            assert list(demarche) == ["number", "dossiers"] and demarche["number"] == number
            info, nodes = demarche["dossiers"]["pageInfo"], demarche["dossiers"]["nodes"]
            assert list(demarche["dossiers"]) == ["pageInfo", "nodes"]
            assert info["hasNextPage"] == (k < len(pages) - 1)
            assert len(nodes) == 100 or not info["hasNextPage"]
            if nodes:
                stamp, last = _decode(info["endCursor"]).split(";")
                assert int(last) == nodes[-1]["number"]
                assert pd.Timestamp(stamp).floor("s") == pd.Timestamp(nodes[-1]["dateDepot"])
            else:
                assert info["endCursor"] is None and len(pages) == 1
            states.update(n["state"] for n in nodes)
        deposits = [pd.Timestamp(n["dateDepot"]) for p in pages for n in p["data"]["demarche"]["dossiers"]["nodes"]]
        assert deposits == sorted(deposits)
    assert set(states) == {"en_construction", "en_instruction", "accepte", "refuse", "sans_suite"}


def test_dossier_nodes_have_ds_shapes(nodes):
    numbers = [n["number"] for n in nodes]
    assert len(set(numbers)) == len(numbers)
    for n in nodes:
        assert list(n)[:10] == ["number", "state", "archived", "dateDepot", "datePassageEnConstruction",
                                "datePassageEnInstruction", "dateTraitement", "dateDerniereModification",
                                "groupeInstructeur", "traitements"]
        assert n["dateDepot"][-6:] in ("+01:00", "+02:00")
        open_ = n["state"] in ("en_construction", "en_instruction")
        assert (n["dateTraitement"] is None) == open_
        assert (n["datePassageEnInstruction"] is None) == (n["state"] == "en_construction")
        stamps = [pd.Timestamp(t["dateTraitement"]) for t in n["traitements"]]
        assert stamps == sorted(stamps) and pd.Timestamp(n["dateDerniereModification"]) >= stamps[-1]
        for champ in n["champs"] + n["annotations"]:
            assert list(champ)[:4] == ["id", "label", "__typename", "stringValue"]
            assert CHAMP_TYPED[champ["__typename"]] in champ
            assert _decode(champ["id"]).startswith("Champ-")
    archived = [n for n in nodes if n["archived"]]
    assert archived and all(n["state"] in ("accepte", "refuse", "sans_suite") for n in archived)
    modified_late = [n for n in nodes if n["dateTraitement"] and
                     pd.Timestamp(n["dateDerniereModification"]) - pd.Timestamp(n["dateTraitement"])
                     > pd.Timedelta(days=1)]
    assert modified_late


def test_personal_champs_and_label_drift_are_in_the_payloads(nodes):
    by_label = defaultdict(list)
    for n in nodes:
        for champ in n["champs"] + n["annotations"]:
            by_label[champ["label"]].append(champ)
    labels = set(by_label)
    for personal in ("Nom", "Prénom", "E-mail", "Téléphone", "Date de naissance", "Numéro du titre de séjour",
                     "E-mail de l'employeur", "Motivation de la demande"):
        assert personal in labels, personal
    assert all("@" in c["stringValue"] for c in by_label["E-mail"])
    assert {"Nombre d'heures", "Nombre d’heures", "Nombre d'heures par semaine"} <= labels
    assert {"Type de contrat", "Type de Contrat", "Demande", "Type de demande"} <= labels
    nationality_types = {c["__typename"] for label, champs in by_label.items() if label.startswith("Nationalit")
                         for c in champs}
    assert nationality_types == {"TextChamp", "PaysChamp"}
    assert any(c["stringValue"].isupper() for c in by_label["Nationalité"] if c["__typename"] == "TextChamp")
    contracts = {c["stringValue"] for label in ("Type de contrat", "Type de Contrat") for c in by_label[label]}
    assert {"contrat d'apprentissage", "Contrat d’apprentissage"} & contracts


def test_payloads_load_through_the_real_parsers(raw, live, ds_pages):
    demarches = load_demarches(raw / "demarches.csv")
    frames = [parse_dossiers(p["data"]["demarche"]["dossiers"]["nodes"], demarches[number])
              for number, pages in ds_pages.items() for p in pages]
    dossiers = pd.concat(frames, ignore_index=True)
    assert dossiers["contract_category"].notna().mean() > 0.98
    assert dossiers["nationality"].notna().all()
    assert (dossiers["departement"] == dossiers["demarche_number"].map(
        lambda n: demarches[n].departement)).all()
    assert dossiers["apt_start"].notna().mean() > 0.9
    records = [r for day in live.values() for r in day]
    visits, actions = parse_visits(records, 1, 1)
    assert len(visits) == len(records) and len(actions) == sum(len(r["actionDetails"]) for r in records)
    assert set(actions["page_key"]) >= {"accueil", "etudiant", "employeur", "non_eligible", "depart_ds", "document"}
    assert (actions.loc[actions["page_key"] == "depart_ds", "departement"].notna()).all()
    daily = parse_visits_summary(_load(raw / "matomo" / "VisitsSummary.get.json"), 1)
    assert daily["nb_visits"].sum() == _load(raw / "manifest.json")["visits_reported"]
    for name in REPORTS:
        assert not parse_page_report(_load(raw / "matomo" / f"{name}.json"), 1, name).empty


# ---------------------------------------------------------------------------- rollout and funnel
def test_no_dossier_and_no_checklist_before_a_department_opens(raw, live, nodes):
    period = Period(END)
    codes = [d.code for d in journeys.departements()]
    opens = {code: period.day(day) for code, day in zip(codes, journeys.opening_days(period), strict=True)
             if day < period.n_days}
    assert list(opens)[:0] == [] and min(opens, key=opens.get) == "75"
    assert sorted(opens, key=opens.get)[:2] == ["75", "69"]
    for n in nodes:
        dep = next(c["departement"]["code"] if "departement" in c else c["stringValue"].split(" - ")[0]
                   for c in n["champs"] if c["label"].startswith("Département"))
        assert pd.Timestamp(n["dateDepot"]).date() >= opens[dep]
    failed_before = 0
    for day, records in live.items():
        for r in records:
            for a in r["actionDetails"]:
                if "link=ud0" in a["url"] or "/qualify-2.html?department=" in a["url"]:
                    dep = a["url"].split("=")[-1].removeprefix("ud0")[:2].lstrip("0").zfill(2)
                    assert date.fromisoformat(day) >= opens[dep], a["url"]
                failed_before += "fail" in a["url"]
    assert failed_before > 0


@pytest.fixture(scope="module")
def simulation():
    period = Period(END)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(3).spawn(4)]
    trips = journeys.simulate(streams[0], period, 30_000)
    return period, trips, visitors.draw(streams[1], trips), dossier_sim.simulate(streams[3], period, trips)


def test_funnel_clicks_are_about_one_and_a_half_dossiers(simulation):
    period, trips, _, dossiers = simulation
    ds = trips.kind == journeys.DS
    assert 1.3 <= ds.sum() / len(dossiers) <= 1.55
    clicks = Counter(zip(trips.dep[trips.visit[ds]].tolist(), trips.employer[trips.visit[ds]].tolist(), strict=True))
    filed = Counter(zip(dossiers.dep.tolist(), dossiers.employer.tolist(), strict=True))
    big = [k for k, v in filed.items() if v >= 150]
    assert big and all(1.2 <= clicks[k] / filed[k] <= 1.7 for k in big)


def test_audience_realism(simulation):
    period, trips, who, _ = simulation
    device = pd.Series([m.DEVICES[d][0] for d in who.device]).value_counts(normalize=True)
    assert 0.55 <= device["Desktop"] <= 0.66 and 0.3 <= device["Smartphone"] <= 0.4 and 0.03 <= device["Tablet"] <= 0.08
    ds = np.flatnonzero(trips.kind == journeys.DS)
    visits, first = np.unique(trips.visit[ds], return_index=True)
    to_ds = trips.ts[ds][first] - trips.first[visits]
    assert 240 <= np.median(to_ds) <= 360 and 0.68 <= (to_ds < 600).mean() <= 0.82
    days = period.days[trips.day]
    per_day = pd.Series(1, index=days).groupby(level=0).sum().reindex(period.days, fill_value=0)
    last_year = per_day[per_day.index >= per_day.index[-1] - pd.Timedelta(days=364)]
    by_month = last_year.groupby(last_year.index.month).mean()
    assert by_month[[9, 10]].min() > 1.3 * by_month[8] and by_month[[9, 10]].min() > by_month[12]
    weekend = per_day.index.day_of_week >= 5
    assert per_day[weekend].mean() < 0.45 * per_day[~weekend].mean()
    bounces = (trips.n_actions == 1).mean()
    assert 0.15 <= bounces <= 0.35 and (trips.count > 1).mean() > 0.1


def test_dossier_realism(simulation):
    period, _, _, d = simulation
    decided = d.decision >= 0
    depose = (Period.epoch_to_local(d.depose[decided]) // 86_400).astype("datetime64[D]")
    decision = (Period.epoch_to_local(d.decision[decided]) // 86_400).astype("datetime64[D]")
    working = np.busday_count(depose, decision, holidays=period.holidays)
    assert 4 <= np.median(working) <= 6 and np.percentile(working, 95) > 12
    states = pd.Series(np.array(dossier_sim.STATES)[d.state])
    rates = states[decided].value_counts(normalize=True)
    assert 0.05 <= rates["refuse"] <= 0.15 and 0.03 <= rates["sans_suite"] <= 0.08
    contract = pd.Series(np.array(dossier_sim.CATEGORIES)[d.contract]).value_counts(normalize=True)
    assert 0.3 <= contract["apprentissage"] <= 0.4 and 0.15 <= contract["professionnalisation"] <= 0.25
    refused = pd.DataFrame({"dep": d.dep[decided], "refused": d.state[decided] == 3})
    by_dep = refused.groupby("dep")["refused"].agg(["mean", "size"])
    by_dep = by_dep[by_dep["size"] >= 300]["mean"]
    assert by_dep.max() > 1.3 * by_dep.min()
    assert (d.state <= 1).sum() > 0 and (d.apt_invalid.sum() > 0) and np.isnat(d.apt_start).sum() > 0
    months = (d.apt_end - d.apt_start).astype("timedelta64[D]").astype(float) / 30.44
    months = months[~np.isnan(months)]
    assert np.mean(np.abs(months - 12) < 0.5) > 0.4 and (months < 3).any() and (months > 12.5).any()
    assert (months < 0).any()                                    # a few inverted dates
    old_open = (d.state <= 1) & (d.depose < d.depose.max() - 120 * 86_400)
    assert old_open.any()                                        # forgotten dossiers


def test_rollout_reaches_about_35_departments_by_month_24():
    period = Period(END)
    opened = journeys.opening_days(period) <= period.month_day(24)
    assert 32 <= opened.sum() <= 36


def test_demarches_csv_columns(raw):
    with open(raw / "demarches.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["demarche_number", "departement", "audience", "slug", "title"]
    assert rows[0]["slug"] == "ud075-apt-etudiants" and rows[1]["slug"] == "ud075-apt-etudiants-employeur"
