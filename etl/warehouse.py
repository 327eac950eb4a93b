"""Build a warehouse into a temporary DuckDB file and publish it atomically.

Usage::

    with Warehouse(target) as wh:          # copies the published file (incremental) or starts empty
        wh.load("dossiers", frame)
        wh.finalize()
        wh.record_run(run)
        wh.publish()                       # CHECKPOINT, close, os.replace onto target

Leaving the ``with`` block without ``publish()`` (an exception, a kill) deletes the temporary file: the
previously published warehouse keeps serving untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from etl.calendar import build_calendar
from etl.faults import checkpoint

SCHEMA_PATH = Path(__file__).with_name("schema.sql")
REFERENCE_DIR = Path(__file__).with_name("reference")
SCHEMA_VERSION = "16"

# Reference CSV files → table and the columns read from them (all codes stay text).
REFERENCE_FILES = {
    "ref_departements": ("departements.csv", ["code", "name", "region_code", "region_name"]),
    "ref_contract_categories": ("contract_categories.csv", ["code", "label", "sort_order"]),
    "ref_countries": ("countries.csv", ["iso2", "name_fr"]),
    "ref_pages": ("pages.csv", ["page_key", "label", "role"]),
}
TABLES = {
    "meta", "etl_runs", "calendar", "demarches", "dossiers", "visits", "actions", "visit_paths", "page_views_daily",
    "ineligible_views", "ineligible_daily", "paths", "visits_daily", "visit_paths_daily", "visit_breakdowns_daily",
    "visits_hourly", "ds_departures", "decisions_daily",
    "matomo_daily",
    "matomo_pages_daily",
    *REFERENCE_FILES,
}
# A bounce: a visit of a single action (Matomo's definition).
BOUNCE_SQL = "v.nb_actions <= 1"
# Audience breakdowns of visits ``v`` (``visit_breakdowns_daily``): SQL key of a visit, and the visits it covers.
BREAKDOWN_KEYS = {
    "device": ("v.device_type", "TRUE"),
    "browser": ("v.browser", "TRUE"),
    "os": ("v.os", "TRUE"),
    "referrer_type": ("v.referrer_type", "TRUE"),
    "referrer": ("v.referrer_name", "v.referrer_type <> 'direct'"),      # direct visits have no referrer
    "region": ("CASE WHEN v.country_code = 'FR' THEN coalesce(v.region_code, '?') "
               "WHEN v.country_code IS NOT NULL THEN 'hors_france' END", "TRUE"),
    "audience": ("v.audience", "TRUE"),
    "visitor_type": ("v.visitor_type", "TRUE"),
}
# Processing durations of each dossier, derived by ``finalize`` (``_derive_dossiers``).
DURATION_COLUMNS = ("total_calendar", "total_working", "construction_calendar", "construction_working",
                    "instruction_calendar", "instruction_working")


@dataclass
class RunRecord:
    """One ETL run of one source scope, written to ``etl_runs``."""

    source: str
    scope: str | None = None
    started_at: datetime = field(default_factory=datetime.now)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: str = "success"
    watermark: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def migrations() -> dict[str, tuple[str, ...]]:
    """Statements bringing a warehouse of schema version N to version N+1: an incremental run migrates its copy
    of the published file, then derives every visit and dossier again (new derived columns and tables are filled
    that way)."""
    return {
        # (DuckDB cannot add a NOT NULL column with IF NOT EXISTS; the default fills every row.)
        "2": ("ALTER TABLE visits ADD COLUMN IF NOT EXISTS journey_depth TINYINT DEFAULT 0",),
        "3": (_create_table_sql("page_views_daily"),),
        "4": (_create_table_sql("visit_paths"),),
        "5": tuple(f"ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS {column} INTEGER" for column in DURATION_COLUMNS),
        "6": (_create_table_sql("ineligible_views"),),
        "7": ("DROP TABLE IF EXISTS visit_paths", _create_table_sql("visit_paths"), _create_table_sql("paths")),
        "8": (_create_table_sql("visits_daily"),),
        "9": ("DROP TABLE IF EXISTS ineligible_views", _create_table_sql("ineligible_views")),   # + visit columns
        "10": ("DROP TABLE IF EXISTS visit_paths", _create_table_sql("visit_paths")),             # + visit columns
        "11": (_create_table_sql("decisions_daily"),),
        "12": (_create_table_sql("visit_breakdowns_daily"),),
        "13": ("DROP TABLE IF EXISTS visit_breakdowns_daily", _create_table_sql("visit_breakdowns_daily"),  # + sums
               _create_table_sql("ds_departures"), _create_table_sql("visits_hourly")),
        "14": (_create_table_sql("visit_paths_daily"),),
        "15": (_create_table_sql("ineligible_daily"),),
    }


def _create_table_sql(table: str) -> str:
    """The ``CREATE TABLE`` statement of ``table`` in ``schema.sql`` (``IF NOT EXISTS``: a migration may meet
    a file that already has it)."""
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    start = text.index(f"CREATE TABLE {table} (")
    return text[start:text.index(");", start) + 2].replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of ``schema.sql``, record its version and load the reference tables."""
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": SCHEMA_VERSION})
    for table, (filename, columns) in REFERENCE_FILES.items():
        path = REFERENCE_DIR / filename
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)[columns]
        _insert(con, table, frame)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    if table not in TABLES:
        raise ValueError(f"table inconnue : {table}")
    if frame.empty:
        return 0
    con.register("_incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")  # table is whitelisted
    finally:
        con.unregister("_incoming")
    return len(frame)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_builds(target: Path) -> None:
    """Delete temporary builds left by ETL processes that died (killed runs), and our own leftover."""
    for leftover in target.parent.glob(f"{target.name}.tmp-*"):
        pid = leftover.name.rsplit("-", 1)[-1].split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or not _pid_alive(int(pid)):
            leftover.unlink(missing_ok=True)


class Warehouse:
    """A warehouse being built in ``<target>.tmp-<pid>``; see the module docstring."""

    def __init__(self, target: Path | str, *, incremental: bool = True):
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(f"{self.target.name}.tmp-{os.getpid()}")
        remove_stale_builds(self.target)
        fresh = not (incremental and self.target.exists())
        if not fresh:
            shutil.copyfile(self.target, self.tmp)
        self.con = duckdb.connect(str(self.tmp))
        if fresh:
            create_schema(self.con)
        migrated = not fresh and self._migrate()
        self._published = False
        # Days whose visits get their derived columns recomputed by ``finalize``; None: every visit.
        self._derive_days: set[date] | None = None if fresh or migrated else set()
        # Keys (demarche_number, dossier_number) of the dossiers loaded since, whose durations ``finalize``
        # derives; None: every dossier.
        self._derive_dossiers: list[pd.DataFrame] | None = None if fresh or migrated else []
        # Whether ``decisions_daily`` must be grouped again: dossiers loaded or deleted (or a new build).
        self._derive_decisions = fresh or migrated

    def _migrate(self) -> bool:
        """Bring the copied warehouse to ``SCHEMA_VERSION`` (``migrations``); True when something changed.
        ValueError for a version no migration leads from (a newer build, or an unknown file)."""
        rows = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        version = rows[0][0] if rows else None
        start = version
        steps = migrations()
        while version != SCHEMA_VERSION:
            if version not in steps:
                self.discard()
                raise ValueError(f"entrepôt de schéma {version} : aucune migration vers le schéma {SCHEMA_VERSION} "
                                 f"({self.target}) ; il faut le reconstruire depuis les sources")
            for statement in steps[version]:
                self.con.execute(statement)
            version = str(int(version) + 1)
            self.set_meta(schema_version=version)
        return version != start

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        if not self._published:
            self.discard()

    def discard(self) -> None:
        """Drop the temporary file; the published warehouse is left as it was."""
        try:
            self.con.close()
        finally:
            self.tmp.unlink(missing_ok=True)
            Path(f"{self.tmp}.wal").unlink(missing_ok=True)

    # ------------------------------------------------------------------ loading
    def load(self, table: str, frame: pd.DataFrame) -> int:
        """Insert ``frame`` into ``table`` matching columns by name; absent columns take their default.

        Visits or actions loaded this way make ``finalize`` re-derive the columns of every visit; dossiers have
        theirs derived (``finalize``) whatever the frame holds in those columns."""
        if table in ("visits", "actions"):
            self._derive_days = None
        if table == "dossiers":
            self._derive_decisions = True
            if self._derive_dossiers is not None:
                self._derive_dossiers.append(frame[["demarche_number", "dossier_number"]])
        return self._load(table, frame)

    def _load(self, table: str, frame: pd.DataFrame) -> int:
        checkpoint("load")
        return _insert(self.con, table, frame)

    def set_demarches(self, frame: pd.DataFrame) -> int:
        """Insert or replace démarches (columns of the ``demarches`` table)."""
        self.con.register("_dem", frame)
        try:
            self.con.execute("DELETE FROM demarches WHERE demarche_number IN (SELECT demarche_number FROM _dem)")
        finally:
            self.con.unregister("_dem")
        return self.load("demarches", frame)

    def upsert_dossiers(self, frame: pd.DataFrame) -> int:
        """Insert or replace dossiers by (demarche_number, dossier_number)."""
        if frame.empty:
            return 0
        self.con.register("_upd", frame)
        try:
            self.con.execute(
                """DELETE FROM dossiers d USING _upd u
                   WHERE d.demarche_number = u.demarche_number AND d.dossier_number = u.dossier_number"""
            )
        finally:
            self.con.unregister("_upd")
        return self.load("dossiers", frame)

    def delete_dossiers(self, demarche_number: int, numbers: list[int]) -> int:
        """Remove dossiers deleted in DS; returns how many were present."""
        if not numbers:
            return 0
        present = self.con.execute(
            "SELECT count(*) FROM dossiers WHERE demarche_number = $d AND list_contains($n, dossier_number)",
            {"d": demarche_number, "n": list(numbers)},
        ).fetchall()[0][0]
        self.con.execute(
            "DELETE FROM dossiers WHERE demarche_number = $d AND list_contains($n, dossier_number)",
            {"d": demarche_number, "n": list(numbers)},
        )
        self._derive_decisions = self._derive_decisions or present > 0
        return present

    def next_visit_key(self) -> int:
        """First free surrogate ``visit_key``."""
        return self.con.execute("SELECT coalesce(max(visit_key), 0) + 1 FROM visits").fetchall()[0][0]

    def replace_matomo_days(
        self,
        site_id: int,
        days: list[date],
        *,
        visits: pd.DataFrame | None = None,
        actions: pd.DataFrame | None = None,
        daily: pd.DataFrame | None = None,
        pages: pd.DataFrame | None = None,
    ) -> None:
        """Replace wholesale every Matomo row of ``site_id`` on ``days`` by the given frames (on an incremental
        build, ``finalize`` then re-derives the visit columns of those days only)."""
        if self._derive_days is not None:
            self._derive_days.update(days)
        params = {"s": site_id, "days": list(days)}
        self.con.execute(
            """DELETE FROM actions WHERE visit_key IN (
                   SELECT visit_key FROM visits WHERE site_id = $s AND list_contains($days, visit_date))""",
            params,
        )
        for table in ("visit_paths", "ineligible_views"):   # whitelisted names
            self.con.execute(
                f"""DELETE FROM {table} WHERE visit_key IN (
                       SELECT visit_key FROM visits WHERE site_id = $s AND list_contains($days, visit_date))""",
                params,
            )
        self.con.execute("DELETE FROM visits WHERE site_id = $s AND list_contains($days, visit_date)", params)
        self.con.execute("DELETE FROM matomo_daily WHERE site_id = $s AND list_contains($days, day)", params)
        self.con.execute("DELETE FROM matomo_pages_daily WHERE site_id = $s AND list_contains($days, day)", params)
        for table, frame in (("visits", visits), ("actions", actions), ("matomo_daily", daily),
                             ("matomo_pages_daily", pages)):
            if frame is not None:
                self._load(table, frame)

    def set_meta(self, **values: object) -> None:
        """Set key/value facts of this build (``is_demo``, ``demo_seed``…)."""
        for key, value in values.items():
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ($k, $v)", {"k": key, "v": None if value is None else str(value)}
            )

    # ------------------------------------------------------------------ runs
    def last_watermark(self, source: str, scope: str) -> str | None:
        """Watermark of the last successful run of ``source``/``scope``, or None."""
        rows = self.con.execute(
            """SELECT watermark FROM etl_runs WHERE source = $src AND scope = $scope AND status = 'success'
               ORDER BY finished_at DESC LIMIT 1""",
            {"src": source, "scope": scope},
        ).fetchall()  # fetchall, not fetchone: DuckDB 2 refuses register() while a result is unfinished
        return rows[0][0] if rows else None

    def record_run(self, run: RunRecord) -> None:
        """Append ``run`` to ``etl_runs`` (finished now)."""
        self.con.execute(
            "INSERT INTO etl_runs VALUES ($id, $src, $scope, $start, $end, $status, $wm, $rows, $err)",
            {
                "id": run.run_id, "src": run.source, "scope": run.scope, "start": run.started_at,
                "end": datetime.now(), "status": run.status, "wm": run.watermark,
                "rows": json.dumps(run.rows, sort_keys=True), "err": run.error,
            },
        )

    def row_counts(self) -> dict[str, int]:
        """Rows per table, for the run summary."""
        return {
            table: self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # whitelisted table
            for table in sorted(TABLES)
        }

    # ------------------------------------------------------------------ derived data
    def finalize(self) -> None:
        """Derive what is computed from loaded rows: visit journey columns, raw-log status, calendar, dossier
        durations, daily decision counts (when dossiers changed), meta."""
        if self._derive_days is None or self._derive_days:
            self._derive_visits()
            self._derive_paths()
            self._derive_visit_paths_daily()
            self._derive_ineligible_views()
            self._derive_ineligible_daily()
            self._derive_page_views_daily()
            self._derive_visits_daily()
            self._derive_visit_breakdowns_daily()
            self._derive_ds_departures()
            self._derive_visits_hourly()
        self._derive_matomo_daily()
        start, end = self._data_range()
        self.con.execute("DELETE FROM calendar")
        if start is not None:
            margin_end = max(end, date.today()) + timedelta(days=400)
            self.load("calendar", build_calendar(start - timedelta(days=31), margin_end))
        self._derive_durations()
        if self._derive_decisions:
            self._derive_decisions_daily()
        self.set_meta(
            schema_version=SCHEMA_VERSION,
            built_at=datetime.now().isoformat(timespec="seconds"),
            data_start=start.isoformat() if start else None,
            data_end=end.isoformat() if end else None,
        )

    def _days_params(self) -> dict | None:
        """Parameters of the derive queries: ``$days``, the replaced days, on an incremental run."""
        return None if self._derive_days is None else {"days": sorted(self._derive_days)}

    def _derive_visits(self) -> None:
        """Entry/exit page, audience, department, DS departure and funnel depth of each visit, from its actions:
        every visit on a new build, only those of the replaced days on an incremental one."""
        days = "" if self._derive_days is None else \
            "WHERE a.visit_key IN (SELECT visit_key FROM visits WHERE list_contains($days, visit_date))"
        self.con.execute(
            f"""
            UPDATE visits SET
                entry_page = a.entry_page,
                exit_page = a.exit_page,
                audience = a.audience,
                departement = a.departement,
                reached_ds = a.ds_departure_at IS NOT NULL,
                ds_departure_at = a.ds_departure_at,
                seconds_to_ds = CAST(date_diff('second', visits.started_at, a.ds_departure_at) AS INTEGER),
                journey_depth = CASE WHEN a.ds_departure_at IS NOT NULL THEN 3 WHEN a.checklist THEN 2
                                     WHEN a.accueil THEN 1 ELSE 0 END
            FROM (
                SELECT a.visit_key,
                       arg_min(a.page_key, a.position) FILTER (WHERE a.action_type = 'action') AS entry_page,
                       arg_max(a.page_key, a.position) FILTER (WHERE a.action_type = 'action') AS exit_page,
                       arg_max(a.audience, a.position) FILTER (WHERE a.audience IS NOT NULL) AS audience,
                       arg_max(a.departement, a.position) FILTER (WHERE a.departement IS NOT NULL) AS departement,
                       min(a.action_at) FILTER (WHERE a.page_key = 'depart_ds') AS ds_departure_at,
                       coalesce(bool_or(p.role = 'checklist') FILTER (WHERE a.action_type = 'action'), FALSE)
                           AS checklist,
                       coalesce(bool_or(a.page_key = 'accueil') FILTER (WHERE a.action_type = 'action'), FALSE)
                           AS accueil
                FROM actions a LEFT JOIN ref_pages p ON p.page_key = a.page_key {days} GROUP BY a.visit_key
            ) AS a
            WHERE visits.visit_key = a.visit_key
            """,
            self._days_params(),
        )

    def _derive_paths(self) -> None:
        """``visit_paths`` of the visits derived by ``_derive_visits`` (same days, after them: it copies their day,
        department and audience), from their actions, with the paths
        not seen before added to ``paths`` (ids following the largest one). The paths of replaced visits went with
        them (``replace_matomo_days``; their ``paths`` entries stay, unused); a new build derives them all again."""
        days = "" if self._derive_days is None else "AND list_contains($days, v.visit_date)"
        if self._derive_days is None:
            self.con.execute("DELETE FROM visit_paths")
            self.con.execute("DELETE FROM paths")
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _new_paths AS
            WITH steps AS (
                     SELECT a.visit_key, a.position, a.page_key AS node
                     FROM actions a JOIN visits v USING (visit_key)
                     WHERE (a.action_type = 'action' OR a.page_key = 'depart_ds') {days}),
                 first_ds AS (SELECT visit_key, min(position) AS ds_pos FROM steps WHERE node = 'depart_ds' GROUP BY 1),
                 kept AS (SELECT s.visit_key, s.position, s.node,
                                 lag(s.node) OVER (PARTITION BY s.visit_key ORDER BY s.position) AS before
                          FROM steps s LEFT JOIN first_ds d USING (visit_key)
                          WHERE d.ds_pos IS NULL OR s.position <= d.ds_pos),
                 seq AS (SELECT visit_key, list(node ORDER BY position) AS nodes FROM kept
                         WHERE before IS NULL OR before <> node GROUP BY 1)
            SELECT visit_key, CASE WHEN nodes[-1] = 'depart_ds' THEN nodes ELSE list_append(nodes, 'sortie') END AS path
            FROM seq
            """,
            self._days_params(),
        )
        try:
            self.con.execute(
                """
                INSERT INTO paths
                SELECT (SELECT coalesce(max(path_id), 0) FROM paths) + row_number() OVER (ORDER BY n.path), n.path
                FROM (SELECT DISTINCT path FROM _new_paths) n
                WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE p.path = n.path)
                """
            )
            self.con.execute("INSERT INTO visit_paths SELECT n.visit_key, p.path_id, v.visit_date, v.departement, "
                             "v.audience FROM _new_paths n JOIN paths p USING (path) JOIN visits v USING (visit_key)")
        finally:
            self.con.execute("DROP TABLE IF EXISTS _new_paths")

    def _derive_visit_paths_daily(self) -> None:
        """``visit_paths_daily`` of the days derived by ``_derive_visits``, from their ``visit_paths`` (derived by
        ``_derive_paths`` just before)."""
        self._rederive_days(
            "visit_paths_daily",
            "SELECT visit_date, departement, audience, path_id, count(*) FROM visit_paths {days} GROUP BY ALL "
            "ORDER BY 1",
        )

    def _derive_ineligible_views(self) -> None:
        """``ineligible_views`` of the visits derived by ``_derive_visits`` (same days, after them: it copies their
        department and audience), from their actions; those of replaced visits went with them
        (``replace_matomo_days``), a new build derives them all again."""
        days = "" if self._derive_days is None else "AND list_contains($days, v.visit_date)"
        if self._derive_days is None:
            self.con.execute("DELETE FROM ineligible_views")
        self.con.execute(
            f"""
            INSERT INTO ineligible_views
            SELECT DISTINCT a.visit_key, v.visit_date, v.departement, v.audience, a.departement
            FROM actions a JOIN visits v USING (visit_key)
            WHERE a.page_key = 'non_eligible' {days}
            """,
            self._days_params(),
        )

    def _derive_ineligible_daily(self) -> None:
        """``ineligible_daily`` of the days derived by ``_derive_visits``, from their ``ineligible_views`` (derived by
        ``_derive_ineligible_views`` just before)."""
        self._rederive_days(
            "ineligible_daily",
            "SELECT visit_date, departement, audience, count(DISTINCT visit_key) FROM ineligible_views {days} "
            "GROUP BY ALL ORDER BY 1",
        )

    def _rederive_days(self, table: str, select: str) -> None:
        """Replace the rows of the per-day ``table`` (whitelisted name) of the days derived by ``_derive_visits``
        (every day on a new build) by those of ``select``, whose ``{days}`` placeholder selects the visits of
        those days."""
        days = "" if self._derive_days is None else "WHERE list_contains($days, visit_date)"
        params = self._days_params()
        self.con.execute(f"DELETE FROM {table} {days}", params)
        self.con.execute(f"INSERT INTO {table} {select.replace('{days}', days)}", params)

    def _derive_page_views_daily(self) -> None:
        """``page_views_daily`` from the actions of the visits derived by ``_derive_visits`` (same days)."""
        self._rederive_days(
            "page_views_daily",
            """
            WITH v AS (SELECT visit_key, visit_date, departement, audience FROM visits {days}),
                 acts AS (SELECT a.* FROM actions a JOIN v USING (visit_key)),
                 bounds AS (SELECT visit_key, max(position) AS last_pos,
                                   min(position) FILTER (WHERE page_key = 'depart_ds') AS ds_pos
                            FROM acts GROUP BY visit_key),
                 per_visit AS (
                     SELECT a.visit_key, a.page_key, count(*) AS views,
                            sum(a.time_spent_s) FILTER (WHERE a.position < b.last_pos) AS seconds,
                            count(*) FILTER (WHERE a.position < b.last_pos AND a.time_spent_s IS NOT NULL) AS timed,
                            bool_or(b.ds_pos > a.position) AS ds_after
                     FROM acts a JOIN bounds b USING (visit_key) WHERE a.action_type = 'action' GROUP BY ALL)
            SELECT v.visit_date, v.departement, v.audience, p.page_key, count(*), sum(p.views), sum(p.seconds),
                   sum(p.timed), count(*) FILTER (WHERE p.ds_after)
            FROM per_visit p JOIN v USING (visit_key) GROUP BY ALL
            """,
        )

    def _derive_durations(self) -> None:
        """Processing durations (``DURATION_COLUMNS``) of the dossiers loaded by this run (of every dossier on a
        new build or after a migration), from their dates and the calendar just built. Differences of working-day
        indexes do not depend on the calendar's first day: the durations of other dossiers stay right."""
        keys = self._derive_dossiers
        if keys is not None and not keys:
            return
        if keys is not None:
            self.con.register("_derive_keys", pd.concat(keys, ignore_index=True).drop_duplicates())
        only = "" if keys is None else "SEMI JOIN _derive_keys USING (demarche_number, dossier_number)"
        staged = "en_instruction_at IS NOT NULL AND en_instruction_at >= depose_at AND en_instruction_at <= traite_at"
        try:
            self.con.execute(
                f"""
                UPDATE dossiers SET
                    total_calendar = x.total_calendar, total_working = x.total_working,
                    construction_calendar = x.construction_calendar, construction_working = x.construction_working,
                    instruction_calendar = x.instruction_calendar, instruction_working = x.instruction_working
                FROM (
                    SELECT d.demarche_number, d.dossier_number,
                           date_diff('day', CAST(d.depose_at AS DATE), CAST(d.traite_at AS DATE)) AS total_calendar,
                           ct.working_day_index - cd.working_day_index AS total_working,
                           CASE WHEN d.staged THEN date_diff('day', CAST(d.depose_at AS DATE),
                                                            CAST(d.en_instruction_at AS DATE)) END
                               AS construction_calendar,
                           CASE WHEN d.staged THEN ci.working_day_index - cd.working_day_index END
                               AS construction_working,
                           CASE WHEN d.staged THEN date_diff('day', CAST(d.en_instruction_at AS DATE),
                                                            CAST(d.traite_at AS DATE)) END AS instruction_calendar,
                           CASE WHEN d.staged THEN ct.working_day_index - ci.working_day_index END
                               AS instruction_working
                    FROM (SELECT demarche_number, dossier_number, depose_at, en_instruction_at, traite_at,
                                 coalesce({staged}, FALSE) AS staged
                          FROM dossiers {only}) d
                    LEFT JOIN calendar cd ON cd.day = CAST(d.depose_at AS DATE)
                    LEFT JOIN calendar ci ON ci.day = CAST(d.en_instruction_at AS DATE)
                    LEFT JOIN calendar ct ON ct.day = CAST(d.traite_at AS DATE)
                ) AS x
                WHERE dossiers.demarche_number = x.demarche_number AND dossiers.dossier_number = x.dossier_number
                """
            )
        finally:
            if keys is not None:
                self.con.unregister("_derive_keys")
        self._derive_dossiers = []

    def _derive_decisions_daily(self) -> None:
        """``decisions_daily`` from every decided dossier (one grouping of ``dossiers``: rebuilt by every run that
        loaded or deleted dossiers)."""
        self.con.execute("DELETE FROM decisions_daily")
        self.con.execute(
            """
            INSERT INTO decisions_daily
            SELECT CAST(traite_at AS DATE), departement, audience, contract_category,
                   count(*) FILTER (WHERE state = 'accepte'), count(*) FILTER (WHERE state = 'refuse'),
                   count(*) FILTER (WHERE state = 'sans_suite')
            FROM dossiers WHERE state IN ('accepte', 'refuse', 'sans_suite') AND traite_at IS NOT NULL
            GROUP BY ALL ORDER BY 1
            """
        )
        self._derive_decisions = False

    def _derive_visits_daily(self) -> None:
        """``visits_daily`` of the days derived by ``_derive_visits`` (all of them on a new build), from ``visits``."""
        self._rederive_days(
            "visits_daily",
            """
            SELECT visit_date, departement, audience, device_type, entry_page, exit_page, reached_ds, journey_depth,
                   count(*)
            FROM visits {days} GROUP BY ALL
            """,
        )

    def _derive_visit_breakdowns_daily(self) -> None:
        """``visit_breakdowns_daily`` of the days derived by ``_derive_visits`` (all of them on a new build)."""
        selects = " UNION ALL ".join(
            f"""SELECT '{name}', v.visit_date, v.departement, v.audience, {key},
                       {"any_value(v.region_name)" if name == "region" else "NULL"}, count(*),
                       count(*) FILTER (WHERE {BOUNCE_SQL}), count(*) FILTER (WHERE v.reached_ds),
                       sum(v.nb_pageviews), sum(v.duration_s)
                FROM (SELECT * FROM visits {{days}}) v WHERE {keep} GROUP BY 1, 2, 3, 4, 5"""
            for name, (key, keep) in BREAKDOWN_KEYS.items())
        self._rederive_days("visit_breakdowns_daily", f"SELECT * FROM ({selects}) ORDER BY 1, 2")

    def _derive_ds_departures(self) -> None:
        """``ds_departures`` of the days derived by ``_derive_visits`` (all of them on a new build)."""
        self._rederive_days(
            "ds_departures",
            """
            SELECT visit_date, departement, audience, device_type, seconds_to_ds FROM (SELECT * FROM visits {days})
            WHERE reached_ds AND seconds_to_ds >= 0 ORDER BY visit_date
            """,
        )

    def _derive_visits_hourly(self) -> None:
        """``visits_hourly`` of the days derived by ``_derive_visits`` (all of them on a new build)."""
        self._rederive_days(
            "visits_hourly",
            """
            SELECT visit_date, departement, audience, isodow(started_at), hour(started_at), count(*)
            FROM visits {days} GROUP BY ALL ORDER BY 1
            """,
        )

    def _derive_matomo_daily(self) -> None:
        """Raw visits loaded per day, gap with the daily report, and the raw-log status of the day."""
        self.con.execute(
            """
            UPDATE matomo_daily SET
                raw_visits = coalesce(r.n, 0),
                gap = matomo_daily.nb_visits - coalesce(r.n, 0),
                raw_status = CASE WHEN coalesce(r.n, 0) > 0 THEN 'available'
                                  WHEN matomo_daily.nb_visits > 0 THEN 'purged'
                                  ELSE 'empty' END
            FROM (SELECT d.site_id, d.day, count(v.visit_key) AS n
                  FROM matomo_daily d LEFT JOIN visits v ON v.site_id = d.site_id AND v.visit_date = d.day
                  GROUP BY d.site_id, d.day) AS r
            WHERE matomo_daily.site_id = r.site_id AND matomo_daily.day = r.day
            """
        )

    def _data_range(self) -> tuple[date | None, date | None]:
        """First and last day with a dossier deposit, a decision or a visit."""
        return self.con.execute(
            """
            SELECT min(d), max(d) FROM (
                SELECT CAST(depose_at AS DATE) AS d FROM dossiers
                UNION ALL SELECT CAST(traite_at AS DATE) FROM dossiers
                UNION ALL SELECT visit_date FROM visits
                UNION ALL SELECT day FROM matomo_daily WHERE nb_visits > 0
            ) WHERE d IS NOT NULL
            """
        ).fetchall()[0]

    # ------------------------------------------------------------------ publishing
    def publish(self) -> None:
        """Checkpoint, close and atomically move the new warehouse onto the target path."""
        checkpoint("before_publish")
        self.con.execute("CHECKPOINT")
        self.con.close()
        os.replace(self.tmp, self.target)
        dir_fd = os.open(self.target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._published = True


def record_failure(
    target: Path | str, *, source: str, started_at: datetime, error: str, scope: str | None = None
) -> None:
    """Append a failed run to the published warehouse (data untouched) so the app can say data is stale.

    Does nothing when no warehouse has been published yet.
    """
    if not Path(target).exists():
        return
    with Warehouse(target) as wh:
        wh.record_run(RunRecord(source=source, scope=scope, started_at=started_at, status="failed", error=error[:500]))
        wh.publish()
