"""Visits and their actions over the whole period, drawn at once with numpy.

1. Demand: a (day × department) intensity — student population × rollout ramp × season × weekday ×
   holidays × growth — and one multinomial draw of the first visits.
2. Journeys: a Markov chain over page kinds (``model.KINDS``) walked for all visits step by step; a
   department not open yet turns the checklist into the fail page, the DS button only exists on the
   checklist page.
3. Time: office-hour arrivals, lognormal gaps between actions scaled by a per-visit pace.
4. Returns: some visitors come back days later (same visitorId, a returning visit that more often
   reaches DS).

The result is a :class:`Journeys` of flat arrays (one row per visit, one row per action), in visit order
``idVisit - 1`` (creation order, as Matomo numbers visits); nothing here is Matomo-shaped yet.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from etl.demo import model as m
from etl.demo.period import DAY, Period

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
END = m.K["END"]
CHECKLIST, FAIL, HOME, FAQ = m.K["CHECKLIST"], m.K["FAIL"], m.K["HOME"], m.K["FAQ"]
DL, DS = m.K["DL"], m.K["DS"]
IS_PAGE = np.zeros(len(m.KINDS), dtype=bool)
IS_PAGE[list(m.PAGE_KINDS)] = True


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str


@cache
def departements() -> tuple[Departement, ...]:
    """The departments of ``etl/reference/departements.csv`` (code, name, region code)."""
    with open(REFERENCE_DIR / "departements.csv", encoding="utf-8", newline="") as handle:
        return tuple(Departement(r["code"], r["name"], r["region_code"]) for r in csv.DictReader(handle))


def opening_days(period: Period) -> np.ndarray:
    """Day index at which each department (order of :func:`departements`) opens; a large number if never."""
    codes = [d.code for d in departements()]
    opening = np.full(len(codes), 10**6, dtype=np.int64)
    for dep, month, offset in m.ROLLOUT:
        opening[codes.index(dep)] = period.month_day(month, offset)
    return opening


def weights(pairs) -> np.ndarray:
    w = np.array([p[-1] for p in pairs], dtype=float)
    return w / w.sum()


def choice(rng: np.random.Generator, probabilities: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with ``probabilities`` (inverse CDF; cheaper than Generator.choice for big sizes)."""
    cdf = np.cumsum(probabilities)
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(size), side="right"), len(cdf) - 1)


# ---------------------------------------------------------------------------- demand
def day_factors(period: Period) -> np.ndarray:
    """Season × weekday × holidays × Christmas × growth, one factor per day."""
    days = period.days
    factor = np.array(m.MONTH_FACTOR)[days.month - 1] * np.array(m.WEEKDAY_FACTOR)[days.day_of_week]
    factor = factor * np.where(period.is_holiday, m.HOLIDAY_FACTOR, 1.0)
    christmas = ((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day == 1))
    factor = factor * np.where(christmas, m.CHRISTMAS_FACTOR, 1.0)
    return factor * np.linspace(*m.GROWTH, period.n_days)


def demand(period: Period) -> np.ndarray:
    """Relative intensity of first visits, shape (days, departments)."""
    deps = departements()
    base = np.array([m.DEMAND.get(d.code, m.DEFAULT_DEMAND) for d in deps])
    idx = np.arange(period.n_days)[:, None]
    since = idx - opening_days(period)[None, :]
    ramp = np.where(since >= 0, 0.3 + 0.7 * (1 - np.exp(-np.maximum(since, 0) / m.RAMP_DAYS)), m.UNCOVERED_DEMAND)
    return base[None, :] * ramp * day_factors(period)[:, None]


# ---------------------------------------------------------------------------- Markov chain
def _row(table: dict[str, float]) -> np.ndarray:
    row = np.zeros(len(m.KINDS))
    for kind, weight in table.items():
        row[m.K[kind]] = weight
    return row / row.sum()


@cache
def chain_tables() -> tuple[np.ndarray, np.ndarray]:
    """(entry CDF [group, kind], transition CDF [group, from, to]); group = era·4 + employer·2 + returning."""
    n = len(m.KINDS)
    entry = np.zeros((8, n))
    trans = np.zeros((8, n, n))
    for g in range(8):
        era, employer, returning = g // 4, (g // 2) % 2, g % 2
        entry[g] = _row(m.ENTRY_RETURN if returning else (m.ENTRY_NEXT if era else m.ENTRY_STATIC))
        for kind in m.KINDS:
            if kind == "END":
                trans[g, END] = _row({"END": 1})
                continue
            name = kind
            if kind == "HOME" and not era:
                name = "HOME_static"
            elif kind == "CHECKLIST" and employer:
                name = "CHECKLIST_e"
            row = _row(m.TRANSITIONS.get(name, {"END": 1}))
            if returning:
                for target, boost in m.RETURN_BOOST.items():
                    row[m.K[target]] *= boost
                row /= row.sum()
            trans[g, m.K[kind]] = row
    return np.cumsum(entry, axis=1), np.cumsum(trans, axis=2)


def walk(rng: np.random.Generator, group: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Kinds of the successive actions of each visit, shape (visits, MAX_STEPS), padded with END."""
    entry_cdf, trans_cdf = chain_tables()
    n = len(group)
    kinds = np.full((n, m.MAX_STEPS), END, dtype=np.int8)
    state = (rng.random(n)[:, None] < entry_cdf[group]).argmax(axis=1)
    state = np.where((state == CHECKLIST) & ~covered, FAIL, state)
    kinds[:, 0] = state
    page = state.copy()
    active = np.arange(n)
    for step in range(1, m.MAX_STEPS):
        s, g, p = state[active], group[active], page[active]
        nxt = (rng.random(len(active))[:, None] < trans_cdf[g, s]).argmax(axis=1)
        nxt = np.where((nxt == CHECKLIST) & ~covered[active], FAIL, nxt)
        nxt = np.where((nxt == DS) & (p != CHECKLIST), END, nxt)               # the button is on the checklist
        nxt = np.where((nxt == DL) & (p != CHECKLIST) & (p != FAQ), END, nxt)  # PDFs: checklist and FAQ
        if step == m.MAX_STEPS - 1:
            nxt[:] = END
        kinds[active, step] = nxt
        state[active] = nxt
        page[active] = np.where(IS_PAGE[nxt], nxt, p)
        active = active[nxt != END]
        if not len(active):
            break
    return kinds


# ---------------------------------------------------------------------------- visits
@dataclass
class Batch:
    """Visits drawn together (first visits, or returns): per-visit arrays plus their action matrix."""

    day0: np.ndarray        # day index of the first action
    first: np.ndarray       # Unix seconds of the first action
    dep: np.ndarray         # index into departements()
    employer: np.ndarray    # bool
    visitor: np.ndarray     # visitor key (index of the visitor's first visit in the first batch)
    count: np.ndarray       # visitCount
    parent: np.ndarray      # index (in the concatenated visits) of the previous visit, -1 if none
    kinds: np.ndarray       # (visits, MAX_STEPS) action kinds
    gaps: np.ndarray        # (visits, MAX_STEPS) seconds after each action (int32)


def _hours(rng: np.random.Generator, weekend: np.ndarray) -> np.ndarray:
    """Seconds into the day of arrivals, office-hour shaped (weekends flatter)."""
    week, end = weights(list(zip(m.HOURS_WEEKDAY))), weights(list(zip(m.HOURS_WEEKEND)))
    hour = np.where(weekend, choice(rng, end, len(weekend)), choice(rng, week, len(weekend)))
    return hour * 3600 + rng.integers(0, 3600, len(weekend))


def _gaps(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Seconds between each action and the next one (0 after the last)."""
    log_medians = np.log([m.GAP_MEDIAN.get(k, 60) for k in m.KINDS]).astype(np.float32)
    n, steps = kinds.shape
    pace = (m.PACE_SIGMA * rng.standard_normal(n, dtype=np.float32))[:, None]
    log_gaps = log_medians[kinds] + m.GAP_SIGMA * rng.standard_normal((n, steps), dtype=np.float32) + pace
    nxt = np.concatenate([kinds[:, 1:], np.full((n, 1), END, dtype=kinds.dtype)], axis=1)
    log_gaps += np.float32(np.log(m.GAP_TO_DS)) * ((nxt == DS) & ((kinds == CHECKLIST) | (kinds == DL)))
    gaps = np.clip(np.rint(np.exp(log_gaps)), 1, m.MAX_GAP).astype(np.int32)
    gaps[nxt == END] = 0
    return gaps


def _batch(rng, period, opening, day0, seconds, dep, employer, visitor, count, parent, returning) -> Batch:
    era = (day0 >= period.month_day(m.STATIC_SITE_MONTHS)).astype(np.int64)
    group = era * 4 + employer.astype(np.int64) * 2 + int(returning)
    kinds = walk(rng, group, covered=day0 >= opening[dep])
    first = period.local_to_epoch(day0, seconds)
    return Batch(day0, first, dep, employer, visitor, count, parent, kinds, _gaps(rng, kinds))


def first_visits(rng: np.random.Generator, period: Period, n_visits: int) -> Batch:
    """The visits of visitors new to the site (a few had come before the period: visitCount > 1)."""
    opening = opening_days(period)
    grid = demand(period)
    counts = rng.multinomial(n_visits, (grid / grid.sum()).ravel()).reshape(grid.shape)
    cells = np.flatnonzero(counts)
    day0, dep = np.divmod(np.repeat(cells, counts.ravel()[cells]), grid.shape[1])
    n = len(day0)
    weekend = period.days.day_of_week.to_numpy()[day0] >= 5
    employer = rng.random(n) < m.EMPLOYER_SHARE
    count = np.where(rng.random(n) < m.PRIOR_RETURNING, rng.integers(2, 5, n), 1)
    return _batch(rng, period, opening, day0, _hours(rng, weekend), dep, employer, np.arange(n), count,
                  np.full(n, -1), returning=False)


def return_visits(rng: np.random.Generator, period: Period, parents: Batch, offset: int, share) -> Batch:
    """Return visits of some of ``parents`` (whose indices start at ``offset``), days or hours later."""
    pick = np.flatnonzero(rng.random(len(parents.day0)) < share)
    last = parents.first[pick] + parents.gaps[pick].sum(axis=1, dtype=np.int64)
    last_local = Period.epoch_to_local(last) - period.epoch_day0 * DAY
    later = np.floor(rng.lognormal(np.log(m.RETURN_DELAY_DAYS[0]), m.RETURN_DELAY_DAYS[1], len(pick)))
    day0 = last_local // DAY + later.astype(np.int64)
    weekend = period.days.day_of_week.to_numpy()[np.minimum(day0, period.n_days - 1)] >= 5
    seconds = _hours(rng, weekend)
    same_day = later == 0
    seconds = np.where(same_day, last_local % DAY + rng.integers(1900, 4 * 3600, len(pick)), seconds)
    day0, seconds = day0 + seconds // DAY, seconds % DAY
    keep = day0 < period.n_days
    pick, day0, seconds = pick[keep], day0[keep], seconds[keep]
    opening = opening_days(period)
    return _batch(rng, period, opening, day0, seconds, parents.dep[pick], parents.employer[pick],
                  parents.visitor[pick], parents.count[pick] + 1, offset + pick, returning=True)


def return_share(batch: Batch) -> np.ndarray:
    """Probability of coming back: high for visitors who read a checklist but did not leave for DS."""
    reached_list = (batch.kinds == CHECKLIST).any(axis=1)
    reached_ds = (batch.kinds == DS).any(axis=1)
    share = np.where(reached_list & ~reached_ds, 0.42, np.where(reached_ds, 0.12, 0.1))
    return share * m.RETURN_SHARE / 0.2


# ---------------------------------------------------------------------------- assembled journeys
@dataclass
class Journeys:
    """All visits (creation order) and their actions (visit order, then position)."""

    # visits
    day: np.ndarray          # day index (local) of the visit = of its last action, as Matomo files it
    first: np.ndarray        # Unix seconds of the first / last action
    last: np.ndarray
    dep: np.ndarray
    employer: np.ndarray
    visitor: np.ndarray
    count: np.ndarray
    parent: np.ndarray       # previous visit of the same visitor (index), -1
    n_actions: np.ndarray
    n_pages: np.ndarray
    action_start: np.ndarray  # index of the visit's first action
    # actions
    visit: np.ndarray
    position: np.ndarray     # 0-based
    kind: np.ndarray
    page: np.ndarray         # kind of the page view the action belongs to (itself for page views)
    page_row: np.ndarray     # index of that page view action
    ts: np.ndarray

    @property
    def n_visits(self) -> int:
        return len(self.day)


def assemble(period: Period, batches: list[Batch]) -> Journeys:
    """Concatenate the batches, flatten actions, keep each visit inside one local day and the period."""
    cat = {f: np.concatenate([getattr(b, f) for b in batches]) for f in Batch.__dataclass_fields__}
    kinds, gaps, first = cat["kinds"], cat["gaps"], cat["first"]
    rows, cols = np.nonzero(kinds != END)
    offsets = np.cumsum(gaps, axis=1, dtype=np.int32) - gaps        # seconds from the first action
    duration = gaps.sum(axis=1, dtype=np.int64)
    # Matomo files a visit on the day of its last action; keep visits within one local day (the few that
    # would cross midnight start earlier) so that daily reports and visits agree exactly.
    first_local = Period.epoch_to_local(first)
    overflow = (first_local % DAY) + duration - (DAY - 1)
    first = first - np.maximum(overflow, 0)
    last = first + duration
    day = Period.epoch_to_local(last) // DAY - period.epoch_day0
    keep = day < period.n_days
    order = np.lexsort((np.arange(len(first)), first))           # creation order = idVisit order
    order = order[keep[order]]
    rank = np.full(len(first), -1)
    rank[order] = np.arange(len(order))

    sel = keep[rows]
    rows, cols = rows[sel], cols[sel]
    new_rows = rank[rows]
    a_order = np.lexsort((cols, new_rows))
    rows, cols, visit = rows[a_order], cols[a_order], new_rows[a_order]
    kind = kinds[rows, cols]
    ts = first[rows] + offsets[rows, cols]
    n_act = np.bincount(visit, minlength=len(order))
    start = np.concatenate([[0], np.cumsum(n_act)[:-1]])
    is_page = IS_PAGE[kind]
    idx = np.where(is_page, np.arange(len(kind)), 0)
    page_row = np.maximum.accumulate(idx)
    parent = cat["parent"][order]
    parent = np.where(parent >= 0, rank[np.maximum(parent, 0)], -1)
    return Journeys(
        day=day[order], first=first[order], last=last[order], dep=cat["dep"][order],
        employer=cat["employer"][order], visitor=cat["visitor"][order], count=cat["count"][order],
        parent=parent, n_actions=n_act, n_pages=np.bincount(visit[is_page], minlength=len(order)),
        action_start=start, visit=visit, position=cols.astype(np.int32), kind=kind, page=kind[page_row],
        page_row=page_row, ts=ts,
    )


def simulate(rng: np.random.Generator, period: Period, n_visits: int) -> Journeys:
    """First visits sized so that, with the returns, about ``n_visits`` visits fall in the period."""
    firsts = first_visits(rng, period, max(1, round(n_visits / m.VISITS_PER_FIRST_VISIT)))
    batches = [firsts]
    offset = len(firsts.day0)
    returns = return_visits(rng, period, firsts, 0, return_share(firsts))
    batches.append(returns)
    again = return_visits(rng, period, returns, offset, m.RETURN_AGAIN)
    batches.append(again)
    return assemble(period, batches)
