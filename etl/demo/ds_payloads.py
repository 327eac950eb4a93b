"""Demo dossiers and their Démarches Simplifiées GraphQL v2 pages (``demarche.dossiers``, 100 nodes a page)."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from tqdm import tqdm

from etl.demo import model as m

PAGE_SIZE = 100
MONTH_NAMES = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
               "novembre", "décembre"]
DEP_NAMES = pd.read_csv(Path(__file__).resolve().parent.parent / "reference" / "departements.csv",
                        dtype=str).set_index("code")["name"].to_dict()


def _gid(kind: str, n: int) -> str:
    return base64.b64encode(f"{kind}-{n}".encode()).decode()


def _iso(ts: pd.Series) -> pd.Series:
    """Naive Paris timestamps → ISO 8601 with the +01:00/+02:00 offset DS sends."""
    local = ts.dt.tz_localize("Europe/Paris", ambiguous="NaT", nonexistent="shift_forward")
    text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    iso = (text.str[:-2] + ":" + text.str[-2:]).to_numpy(dtype=object)
    return pd.Series(np.where(ts.notna().to_numpy(), iso, None), dtype=object, index=ts.index)


def _office_hours(ts: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Move instructor events to a working-day time in 9:00–17:30, never before ``ts``."""
    moved = ts.dt.normalize() + pd.to_timedelta(rng.integers(9 * 60, 17 * 60 + 30, len(ts)), unit="m")
    moved = moved.where(moved >= ts, moved + pd.Timedelta(days=1))
    dow = moved.dt.day_of_week
    return moved + pd.to_timedelta(np.where(dow == 5, 2, np.where(dow == 6, 1, 0)), unit="D")


def draw_dossiers(rng: np.random.Generator, days: pd.DatetimeIndex, deps: list[str], weights: np.ndarray,
                  total: float, end: date) -> pd.DataFrame:
    """One row per dossier déposé: department, audience, dates, state and the form answers."""
    counts = rng.poisson(weights * (total / weights.sum()))
    dep_idx, day_idx = np.nonzero(counts)
    reps = counts[dep_idx, day_idx]
    dep_idx, day_idx = np.repeat(dep_idx, reps), np.repeat(day_idx, reps)
    n = len(dep_idx)
    hours = rng.choice(24, n, p=np.array(m.HOURS) / sum(m.HOURS))
    depot = pd.Series(days[day_idx]) + pd.to_timedelta(hours * 3600 + rng.integers(0, 3600, n), unit="s")
    order = np.argsort(depot.to_numpy(), kind="stable")
    dep_idx, day_idx, depot = dep_idx[order], day_idx[order], depot.iloc[order].reset_index(drop=True)

    speed = rng.lognormal(0, 0.35, len(deps))[dep_idx]      # department-dependent processing speed
    severity = rng.lognormal(0, 0.45, len(deps))[dep_idx]   # department-dependent refusal propensity
    codes = list(m.CONTRACTS)
    shares = np.array([m.CONTRACTS[c][0] for c in codes])
    contract = rng.choice(len(codes), n, p=shares / shares.sum())
    construction = rng.lognormal(np.log(m.CONSTRUCTION_MEDIAN_DAYS), m.CONSTRUCTION_SIGMA, n) * speed
    instruction = rng.lognormal(np.log(m.INSTRUCTION_MEDIAN_DAYS), m.INSTRUCTION_SIGMA, n) * speed
    instr_at = _office_hours(depot + pd.to_timedelta(construction, unit="D"), rng)
    decided_at = _office_hours(instr_at + pd.to_timedelta(instruction, unit="D"), rng)
    decided_at = decided_at.where(decided_at > instr_at, instr_at + pd.Timedelta(hours=2))

    p_refuse = m.REFUSAL_BASE * severity * np.array([m.CONTRACTS[c][1] for c in codes])[contract]
    u = rng.random(n)
    final = np.where(u < p_refuse, "refuse", np.where(u < p_refuse + m.SANS_SUITE_BASE, "sans_suite", "accepte"))
    end_ts = pd.Timestamp(end) + pd.Timedelta(days=1)
    forgotten = rng.random(n) < m.FORGOTTEN_SHARE
    open_instr = (decided_at >= end_ts) & (instr_at < end_ts) & ~forgotten
    open_constr = (instr_at >= end_ts) | forgotten
    state = np.where(open_constr, "en_construction", np.where(open_instr, "en_instruction", final))
    instr_at = instr_at.where(~open_constr)
    decided_at = decided_at.where(~(open_constr | open_instr))
    last_event = decided_at.fillna(instr_at).fillna(depot)
    late_edit = (rng.random(n) < 0.02) & decided_at.notna()
    modified = last_event + pd.to_timedelta(np.where(late_edit, rng.integers(3, 40, n) * 86400,
                                                     rng.integers(60, 7200, n)), unit="s")
    modified = modified.where(modified < end_ts, last_event)

    apt_days = np.array([m.CONTRACTS[c][2] for c in codes])[contract]
    long_apt = rng.random(n) < 0.04
    length = np.where(long_apt, apt_days * 2, np.maximum(14, rng.normal(apt_days, apt_days * 0.15)).astype(int))
    apt_start = (decided_at.fillna(depot) + pd.to_timedelta(rng.integers(0, 20, n), unit="D")).dt.normalize()
    apt_end = apt_start + pd.to_timedelta(length - 1, unit="D")
    apt_quirk = rng.choice(4, n, p=[0.965, 0.02, 0.01, 0.005])  # ok, missing, inverted, invalid text

    nat = rng.choice(len(m.NATIONALITIES), n, p=np.array([x[2] for x in m.NATIONALITIES]) /
                     sum(x[2] for x in m.NATIONALITIES))
    month_index = ((depot.dt.year - days[0].year) * 12 + depot.dt.month - days[0].month).to_numpy()
    numbers = 120_000 + np.cumsum(rng.integers(1, 25, n))
    archived = decided_at.notna() & (decided_at < end_ts - pd.Timedelta(days=180)) & (rng.random(n) < 0.3)
    return pd.DataFrame({
        "number": numbers, "dep": np.array(deps)[dep_idx], "audience": np.where(
            rng.random(n) < m.AUDIENCE_SHARE_STUDENT, "etudiant", "employeur"),
        "state": state, "depot": depot, "instr": instr_at, "decided": decided_at, "modified": modified,
        "archived": archived.to_numpy(), "contract": np.array(codes)[contract],
        "label_variant": rng.integers(0, 5, n), "renewal": rng.random(n) < 0.22, "nat": nat,
        "apt_start": apt_start, "apt_end": apt_end, "apt_quirk": apt_quirk, "hours": rng.choice(
            [35, 35, 35, 20, 24, 30, 151], n), "month": month_index, "person": rng.integers(0, 10**9, n),
    })


def _label(field: str, month: int) -> str:
    return [label for since, label in m.LABELS[field] if since <= month][-1]


def _fr_date(d: pd.Timestamp) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def _typed_date(d: pd.Timestamp | None, mistyped: bool) -> str | None:
    """An APT date as instructors typed it in an annotation, sometimes wrongly ("2018-09-013")."""
    if d is None:
        return None
    return f"{d.year}-{d.month:02d}-0{d.day:02d}" if mistyped else f"{d:%Y-%m-%d}"


def _champ(k: int, label: str, typename: str, value, **typed) -> dict:
    champ = {"id": _gid("Champ", k), "label": label, "__typename": typename,
             "stringValue": None if value is None else str(value)}
    champ.update(typed)
    return champ


def _personal(p: int) -> list[dict]:
    """The personal champs of a real form, fake but realistic: the loader must never keep them."""
    first, last = m.FIRST_NAMES[p % 20], m.LAST_NAMES[(p // 20) % 20]
    email = f"{first}.{last}".lower().replace(" ", "").replace("é", "e") + f"{p % 97}@example.org"
    phone = f"06 {p % 100:02d} {(p // 100) % 100:02d} {(p // 10**4) % 100:02d} {(p // 10**6) % 100:02d}"
    employer = m.EMPLOYERS[p % len(m.EMPLOYERS)]
    return [
        _champ(1, "Nom", "TextChamp", last.upper()), _champ(2, "Prénom", "TextChamp", first),
        _champ(3, "Date et lieu de naissance", "TextChamp", f"{1 + p % 28:02d}/{1 + p % 12:02d}/{1990 + p % 12} "
               f"à {m.CITIES[p % len(m.CITIES)]}"),
        _champ(4, "E-mail", "TextChamp", email), _champ(5, "Téléphone", "PhoneChamp", phone),
        _champ(6, "Numéro du titre de séjour", "TextChamp", f"{7500000000 + p % 10**9}"),
        _champ(20, "Raison sociale de l'employeur", "TextChamp", employer),
        _champ(21, "Adresse de l'employeur", "TextChamp", f"{1 + p % 120} rue de la République, 75011 Paris"),
        _champ(22, "E-mail de l'employeur", "TextChamp", f"rh{p % 50}@{employer.split()[0].lower()}.example.fr"),
        _champ(23, "Téléphone de l'employeur", "PhoneChamp", "01 " + phone[3:]),
        _champ(24, "Salaire brut", "DecimalNumberChamp", f"{1400 + p % 900}.00", decimalNumber=1400 + p % 900),
        _champ(25, "Emploi occupé", "TextChamp", ["Commis de cuisine", "Développeur", "Assistant de recherche",
                                                  "Vendeur", "Chargé de mission"][p % 5]),
        _champ(26, "Motivation de la demande", "TextareaChamp",
               f"Je m'appelle {first} {last}, je souhaite travailler chez {employer}."),
    ]


def node(row, demarche_label: str, groupe: int) -> dict:
    """One dossier as DS GraphQL v2 returns it (dates with offsets, typed champs)."""
    month = int(row.month)
    variants = m.CONTRACTS[row.contract][3]
    code, name, _ = m.NATIONALITIES[row.nat]
    champs = _personal(int(row.person))
    dep_name = DEP_NAMES.get(row.dep, row.dep)
    champs.append(_champ(7, _label("departement", month), "DepartementChamp", f"{row.dep} - {dep_name}",
                         departement={"code": row.dep, "name": dep_name}))
    if month >= 12:
        champs.append(_champ(8, _label("nationality", month), "PaysChamp", name, pays={"code": code, "name": name}))
    else:
        champs.append(_champ(8, _label("nationality", month), "TextChamp", name.upper()))
    contract_label = variants[row.label_variant % len(variants)]
    champs.append(_champ(9, _label("contract", month), "DropDownListChamp", contract_label))
    champs.append(_champ(10, _label("demande", month), "DropDownListChamp",
                         "Renouvellement" if row.renewal else "Première demande"))
    champs.append(_champ(13, _label("hours", month), "IntegerNumberChamp", row.hours, integerNumber=str(row.hours)))
    annotations = []
    start, end = row.apt_start, row.apt_end
    if row.apt_quirk == 2:
        start, end = end, start
    if row.apt_quirk == 1:
        start = end = None
    if month < m.OLD_SITE_MONTHS:  # early dossiers: instructors typed the APT dates in private annotations
        annotations = [_champ(30, "Date de début APT", "TextChamp", _typed_date(start, row.apt_quirk == 3)),
                       _champ(31, "Date de fin APT", "TextChamp", _typed_date(end, row.apt_quirk == 3))]
    else:
        for k, field, d in ((11, "apt_start", start), (12, "apt_end", end)):
            champs.append(_champ(k, _label(field, month), "DateChamp", None if d is None else _fr_date(d),
                                 date=None if d is None else f"{d:%Y-%m-%d}"))
    traitements = [{"event": "depose", "dateTraitement": row.depot_iso}]
    if row.instr_iso:
        traitements.append({"event": "passe_en_instruction", "dateTraitement": row.instr_iso})
    if row.decided_iso:
        event = {"accepte": "accepte", "refuse": "refuse", "sans_suite": "classe_sans_suite"}[row.state]
        traitements.append({"event": event, "dateTraitement": row.decided_iso})
    return {
        "id": _gid("Dossier", int(row.number)), "number": int(row.number), "state": row.state,
        "archived": bool(row.archived), "dateDepot": row.depot_iso, "datePassageEnConstruction": row.depot_iso,
        "datePassageEnInstruction": row.instr_iso, "dateTraitement": row.decided_iso,
        "dateDerniereModification": row.modified_iso,
        "groupeInstructeur": {"number": groupe, "label": demarche_label},
        "traitements": traitements, "champs": champs, "annotations": annotations,
    }


def write_pages(ds_dir: Path, dossiers: pd.DataFrame, demarches: pd.DataFrame, progress: bool) -> int:
    """Write ``<ds_dir>/<démarche>/page-NNNN.json``; returns the number of dossiers written."""
    frame = dossiers.assign(
        depot_iso=_iso(dossiers.depot), instr_iso=_iso(dossiers.instr), decided_iso=_iso(dossiers.decided),
        modified_iso=_iso(dossiers.modified))
    frame = frame.merge(demarches, left_on=["dep", "audience"], right_on=["departement", "audience"])
    with tqdm(total=len(frame), desc="DS (dossiers)", unit=" dossier", disable=not progress) as bar:
        for number, group in frame.groupby("demarche_number", sort=True):
            folder = ds_dir / str(number)
            folder.mkdir()
            group = group.sort_values("number")
            label = f"UD {group.dep.iloc[0]} – {DEP_NAMES.get(group.dep.iloc[0], '')}"
            rows = list(group.itertuples(index=False))
            for page_no, first in enumerate(range(0, len(rows), PAGE_SIZE), start=1):
                chunk = rows[first:first + PAGE_SIZE]
                more = first + PAGE_SIZE < len(rows)
                payload = {"data": {"demarche": {"number": int(number), "dossiers": {
                    "pageInfo": {"hasNextPage": more, "endCursor": _gid("cursor", int(chunk[-1].number))},
                    "nodes": [node(r, label, int(number) * 10 + 1) for r in chunk]}}}}
                (folder / f"page-{page_no:04d}.json").write_bytes(orjson.dumps(payload))
                bar.update(len(chunk))
    return len(frame)
