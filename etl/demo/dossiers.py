"""Dossiers déposés on DS, drawn from the DS departures of the simulated visits (vectorised).

Funnel: about one DS click in 1.4 turns into a dossier, filed in the same session (DS form ~20 min)
or days later once the documents are gathered, on the démarche of the visitor's department and audience;
so dossiers never precede the opening of their department. Then the instruction: construction and
instruction stages in working days (lognormal, department speed), decisions with refusal and sans-suite
rates that depend on department, contract and renewal; dossiers still open at the end stay open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.demo import model as m
from etl.demo.demarches import demarches, lookup
from etl.demo.journeys import DS, Journeys, choice, departements, weights
from etl.demo.period import DAY, Period

CATEGORIES = tuple(c[0] for c in m.CONTRACTS)
STATES = ("en_construction", "en_instruction", "accepte", "refuse", "sans_suite")


@dataclass
class Dossiers:
    """One row per dossier, in DS number order."""

    number: np.ndarray
    demarche: np.ndarray       # index into demarches(period)
    dep: np.ndarray            # index into departements()
    employer: np.ndarray
    revision: np.ndarray       # form revision (0: 2018 form, 1, 2)
    depose: np.ndarray         # Unix seconds
    instruction: np.ndarray    # Unix seconds, -1 if still en construction
    decision: np.ndarray       # Unix seconds, -1 if open
    modified: np.ndarray
    state: np.ndarray          # index into STATES
    archived: np.ndarray
    contract: np.ndarray       # index into CATEGORIES
    contract_label: np.ndarray  # index into the revision's label tuple of the category; -1: unknown label
    renewal: np.ndarray
    nationality: np.ndarray    # index into model.NATIONALITIES
    hours: np.ndarray
    apt_start: np.ndarray      # datetime64[D]; NaT when not given
    apt_end: np.ndarray
    apt_invalid: np.ndarray    # the 2018 annotation holds an impossible date string
    annotated: np.ndarray      # instructors filled the APT annotations
    pick: np.ndarray           # uniform draw for the free-text details (names, employer…)

    def __len__(self) -> int:
        return len(self.number)


def _after_working_days(rng, period: Period, start: np.ndarray, wd: np.ndarray) -> np.ndarray:
    """Unix seconds ``wd`` working days after ``start``, at an instructor's office hour."""
    local = Period.epoch_to_local(start)
    day = (local // DAY).astype("datetime64[D]")
    sod = local % DAY
    whole = np.floor(wd).astype(np.int64)
    target = np.busday_offset(day, whole, roll="forward", holidays=period.holidays)
    hours = np.array(m.OFFICE_HOURS)[rng.integers(0, len(m.OFFICE_HOURS), len(start))]
    tod = hours * 3600 + rng.integers(0, 3600, len(start))
    same = (target == day) & (tod <= sod)
    tod = np.where(same, np.minimum(sod + rng.integers(300, 7200, len(start)), DAY - 1), tod)
    return period.local_to_epoch(target.astype(np.int64) - period.epoch_day0, tod)


def _months_later(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """datetime64[D] ``days`` plus ``months`` calendar months, minus one day (end of an APT)."""
    month = days.astype("datetime64[M]")
    offset = days - month.astype("datetime64[D]")
    target = (month + months).astype("datetime64[D]")
    last = (month + months + 1).astype("datetime64[D]") - 1
    return np.minimum(target + offset, last) - 1


def simulate(rng: np.random.Generator, period: Period, j: Journeys) -> Dossiers:
    """Dossiers of the DS departures of ``j`` (tracked or not: an outage does not stop DS)."""
    end_epoch = period.local_to_epoch(np.array([period.n_days]), np.array([0]))[0] - 1
    ds = np.flatnonzero(j.kind == DS)
    visits, first_click = np.unique(j.visit[ds], return_index=True)
    click = j.ts[ds][first_click]
    share = min(0.98, len(ds) * m.DOSSIERS_PER_CLICK / max(1, len(visits)))
    filed = rng.random(len(visits)) < share
    visits, click = visits[filed], click[filed]
    n = len(visits)

    same_session = rng.random(n) < m.SAME_SESSION_SHARE
    minutes = rng.lognormal(np.log(m.SAME_SESSION_MINUTES[0]), m.SAME_SESSION_MINUTES[1], n)
    later_days = np.ceil(rng.lognormal(np.log(m.LATER_DAYS[0]), m.LATER_DAYS[1], n)).astype(np.int64)
    click_day = Period.epoch_to_local(click) // DAY - period.epoch_day0
    hours = choice(rng, weights(list(zip(m.HOURS_WEEKDAY))), n) * 3600 + rng.integers(0, 3600, n)
    later = period.local_to_epoch(click_day + later_days, hours)
    depose = np.where(same_session, click + (minutes * 60).astype(np.int64), np.maximum(later, click + 3600))
    keep = depose <= end_epoch
    visits, click, depose = visits[keep], click[keep], depose[keep]
    n = len(visits)

    order = np.lexsort((visits, click))          # DS numbers follow the creation of the dossiers
    visits, click, depose = visits[order], click[order], depose[order]
    # other démarches' dossiers come in between (DS grew over time); the range hardly depends on the scale
    number = 118_000 + np.cumsum(1 + rng.poisson(np.linspace(60, 400, n) * 10_000 / max(n, 1)))

    dep = j.dep[visits]
    employer = j.employer[visits]
    demarche = lookup(period)[dep, employer.astype(np.int64)]
    created_month = (click_day_of(period, click) / 30.44).astype(np.int64)
    revision = np.searchsorted(np.array(m.REVISION_MONTHS), created_month, side="right") - 1

    shares = np.array([[c[1], c[2]] for c in m.CONTRACTS], dtype=float)
    contract = np.where(employer, choice(rng, shares[:, 1] / shares[:, 1].sum(), n),
                        choice(rng, shares[:, 0] / shares[:, 0].sum(), n))
    n_labels = np.array([[len(m.CONTRACT_LABELS[c][r]) for r in range(3)] for c in CATEGORIES])
    contract_label = np.floor(rng.random(n) * n_labels[contract, revision]).astype(np.int64)
    contract_label = np.where(rng.random(n) < m.UNKNOWN_CONTRACT_SHARE, -1, contract_label)
    renewal = rng.random(n) < m.RENEWAL_SHARE
    nationality = choice(rng, weights(m.NATIONALITIES), n)
    hours_pw = np.zeros(n, dtype=np.int64)
    for k, cat in enumerate(CATEGORIES):
        sel = contract == k
        table = m.HOURS[cat]
        hours_pw[sel] = np.array([h for h, _ in table])[choice(rng, weights(table), int(sel.sum()))]

    # APT asked: starts soon after the dépôt (renewals: around it), lasts the contract's usual months
    depose_day = (Period.epoch_to_local(depose) // DAY).astype("datetime64[D]")
    start = depose_day + np.where(renewal, rng.integers(-5, 30, n), rng.integers(0, 45, n))
    months = np.zeros(n, dtype=np.int64)
    for k, cat in enumerate(CATEGORIES):
        sel = contract == k
        table = m.APT_MONTHS[cat]
        months[sel] = np.array([mo for mo, _ in table])[choice(rng, weights(table), int(sel.sum()))]
    end = _months_later(start, months)
    inverted = rng.random(n) < m.APT_INVERTED_SHARE
    start, end = np.where(inverted, end, start), np.where(inverted, start, end)
    missing = rng.random(n) < m.APT_MISSING_SHARE
    start = np.where(missing, np.datetime64("NaT"), start)
    end = np.where(missing, np.datetime64("NaT"), end)

    # instruction
    dep_speed = np.array([m.DEP_SPEED.get(d.code, 1.0) for d in departements()]) * \
        rng.lognormal(0.0, m.DEP_SPEED_SIGMA, len(departements()))
    dep_refusal = rng.lognormal(0.0, m.DEP_RATE_SIGMA, len(departements()))
    dep_sans_suite = rng.lognormal(0.0, m.DEP_RATE_SIGMA, len(departements()))
    p_refuse = m.REFUSAL_RATE * dep_refusal[dep] * np.array([m.CONTRACT_REFUSAL[c] for c in CATEGORIES])[contract]
    p_refuse = np.where(renewal, p_refuse * m.RENEWAL_REFUSAL, p_refuse)
    p_sans_suite = m.SANS_SUITE_RATE * dep_sans_suite[dep] * \
        np.array([m.CONTRACT_SANS_SUITE[c] for c in CATEGORIES])[contract]
    u = rng.random(n)
    outcome = np.where(u < p_refuse, 3, np.where(u < p_refuse + p_sans_suite, 4, 2))
    construction = rng.lognormal(np.log(m.CONSTRUCTION_WD[0]), m.CONSTRUCTION_WD[1], n) * dep_speed[dep]
    construction = np.where(outcome == 4, construction * 2.5, construction)   # waiting for missing papers
    instruction_wd = rng.lognormal(np.log(m.INSTRUCTION_WD[0]), m.INSTRUCTION_WD[1], n) * dep_speed[dep]
    forgotten = rng.random(n) < m.FORGOTTEN_SHARE
    stage = rng.random(n) < 0.5
    construction = np.where(forgotten & stage, construction * rng.uniform(40, 200, n), construction)
    instruction_wd = np.where(forgotten & ~stage, instruction_wd * rng.uniform(40, 200, n), instruction_wd)
    instruction = _after_working_days(rng, period, depose, construction)
    decision = _after_working_days(rng, period, instruction, instruction_wd)

    state = np.where(instruction > end_epoch, 0, np.where(decision > end_epoch, 1, outcome))
    instruction = np.where(state == 0, -1, instruction)
    decision = np.where(state <= 1, -1, decision)
    last_event = np.maximum(np.maximum(depose, instruction), decision)
    after = rng.random(n) < m.MODIFIED_AFTER_DECISION
    later_edit = last_event + np.where((state >= 2) & after, rng.integers(86_400, 45 * 86_400, n),
                                       rng.integers(0, 900, n))
    open_edit = last_event + (rng.random(n) * np.minimum(end_epoch - last_event, 8 * 86_400)).astype(np.int64)
    modified = np.minimum(np.where(state >= 2, later_edit, open_edit), end_epoch)
    archived = (state >= 2) & (decision < end_epoch - m.ARCHIVE_AFTER_DAYS * DAY) & (rng.random(n) < m.ARCHIVED_SHARE)
    annotated = (state == 2) & (rng.random(n) < 0.7)
    return Dossiers(
        number=number, demarche=demarche, dep=dep, employer=employer, revision=revision, depose=depose,
        instruction=instruction, decision=decision, modified=modified, state=state, archived=archived,
        contract=contract, contract_label=contract_label, renewal=renewal, nationality=nationality,
        hours=hours_pw, apt_start=start, apt_end=end,
        apt_invalid=(revision == 0) & (rng.random(n) < m.APT_INVALID_SHARE) & ~missing, annotated=annotated,
        pick=rng.random(n),
    )


def click_day_of(period: Period, epoch: np.ndarray) -> np.ndarray:
    """Day index (local) of Unix seconds."""
    return Period.epoch_to_local(epoch) // DAY - period.epoch_day0


def by_demarche(period: Period, d: Dossiers) -> list[np.ndarray]:
    """Row indices of each démarche's dossiers, in DS's default order (dépôt date, then number)."""
    order = np.lexsort((d.number, d.depose, d.demarche))
    bounds = np.searchsorted(d.demarche[order], np.arange(len(demarches(period)) + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(len(demarches(period)))]
