"""Read-only access to the published warehouse for the metrics layer.

The connection is opened lazily (never at import time), read-only, and reopened when the file behind
``WIF_DB`` changes (the ETL publishes with ``os.replace``, so a new inode means a new build); the old one
is closed once no query runs on it (see ``_borrow``). Results are cached per (file identity, SQL,
parameters): a callback asking twice for the same numbers costs nothing, and callbacks asking for them at the
same time (a browser fires a page's callbacks together) run the query once: the others wait for its answer.
Each serving thread keeps its own cursor, where each SQL text is parsed once (``_Statements``).
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl.warehouse import SCHEMA_VERSION

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "wif.duckdb"
# DuckDB's buffer pool per serving process (its default is 80 % of the machine's memory, per process): bounded so
# that a worker stays under the serving budget; ``$WIF_DUCKDB_MEMORY`` overrides it (e.g. "4GB").
DEFAULT_MEMORY_LIMIT = "1GB"


class WarehouseMissing(RuntimeError):
    """No usable warehouse at the configured path (the message, in French, says why)."""


class WarehouseOutdated(WarehouseMissing):
    """The file holds another schema version than the one this code reads (``etl.warehouse.SCHEMA_VERSION``)."""


_override: Path | None = None


class _Statements:
    """One thread's cursor on the warehouse and the statements it has prepared there, by SQL text.

    A metric's SQL is a template (its values are parameters), so the same few texts come back with every filter:
    each is parsed once per cursor (``PREPARE``), then run by ``EXECUTE`` with the values written as SQL literals
    (DuckDB's ``EXECUTE`` takes no bound parameter). The parameters' types stay unknown until then, so DuckDB
    binds and optimises each run with its values (filters still reach the table scans); what is saved is the
    parsing, which DuckDB 2's parser makes a large share of a query on small data (7–20 % of the pages' query
    time, measured over 472 queries at scale 1 and 100). The oldest statement is dropped past ``LIMIT``.
    """

    LIMIT = 256

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self.cursor = cursor
        self.names: dict[str, str] = {}
        self.made = 0

    def run(self, sql: str, params: dict) -> pd.DataFrame:
        name = self.names.get(sql)
        if name is None:
            if len(self.names) >= self.LIMIT:
                self.cursor.execute(f"DEALLOCATE {self.names.pop(next(iter(self.names)))}")
            name = f"wif_q{self.made}"
            self.cursor.execute(f"PREPARE {name} AS {sql}")
            self.made += 1
            self.names[sql] = name
        args = ", ".join(f'"{key}" := {sql_literal(value)}' for key, value in params.items())
        return self.cursor.execute(f"EXECUTE {name}({args})" if args else f"EXECUTE {name}").df()


def sql_literal(value) -> str:
    """``value`` (None, bool, int, float, str, date, datetime or a list/tuple of them) written as a DuckDB literal.

    Strings are quoted with their quotes doubled (DuckDB reads no backslash escape in them): a value typed into a
    URL can't end the literal. numpy scalars count as their Python value, pandas' NA and NaT as NULL; any other
    type raises TypeError."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"CAST('{value}' AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_literal(item) for item in value) + "]"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


class _Handle:
    """A read-only connection to one published file, the number of queries running on it, and per thread a
    cursor with its prepared statements (``statements``)."""

    def __init__(self, ident: tuple):
        self.ident = ident
        self.con = duckdb.connect(ident[0], read_only=True)
        # A setting, not a connection option: other connections to the file (tools, tests) stay possible.
        self.con.execute(f"SET memory_limit = '{memory_limit()}'")
        self.users = 0
        self._local = threading.local()
        self._all: list[_Statements] = []
        try:
            rows = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        except duckdb.CatalogException:
            rows = []
        found = rows[0][0] if rows else None
        if found != SCHEMA_VERSION:
            self.con.close()
            raise WarehouseOutdated(
                f"L'entrepôt de données ({ident[0]}) a été construit par une autre version de WIF stats (schéma "
                f"{found or 'inconnu'} ; cette version lit le schéma {SCHEMA_VERSION}). La prochaine "
                "mise à jour (« python -m etl all ») le migre ; un entrepôt de démonstration se reconstruit par "
                "« make demo ».")

    def statements(self) -> _Statements:
        """This thread's cursor and prepared statements (made on first use)."""
        mine = getattr(self._local, "statements", None)
        if mine is None:
            mine = self._local.statements = _Statements(self.con.cursor())
            with _switch:
                self._all.append(mine)
        return mine

    def close(self) -> None:
        """Close every thread's cursor, then the connection (called when no query runs on it)."""
        for mine in self._all:
            mine.cursor.close()
        self.con.close()


_switch = threading.Condition()
_handle: _Handle | None = None


def database_path() -> Path:
    """Path of the warehouse: ``use_database()`` override, else ``$WIF_DB``, else ``data/wif.duckdb``."""
    if _override is not None:
        return _override
    return Path(os.environ.get("WIF_DB") or DEFAULT_DB)


def use_database(path: Path | str | None) -> None:
    """Point the metrics layer at another warehouse file (tests, tools); None restores the default.

    An idle connection is closed at once, so this process holds no DuckDB instance of the previous file.
    """
    global _override, _handle
    with _switch:
        _override = Path(path) if path is not None else None
        if _handle is not None and _handle.users == 0:
            _handle.close()
            _handle = None
    _cached_query.cache_clear()


def identity() -> tuple:
    """Identity of the current warehouse file (path, inode, mtime, size): changes with every publish."""
    path = database_path()
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise WarehouseMissing(f"L'entrepôt de données est introuvable ({path}). Construisez-le avec « make demo » "
                               "(données de démonstration) ou « python -m etl all » (sources réelles).") from exc
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


@contextmanager
def _borrow() -> Iterator[_Handle]:
    """The connection to the file published now, held for one query.

    When the file has changed, the connection to the previous one is closed as soon as the queries running
    on it end (never under them), and only then is the new file opened: DuckDB hands out the instance
    already open for a path, so opening before closing would keep serving the replaced file.
    """
    global _handle
    with _switch:
        while True:
            ident = identity()
            if _handle is not None and _handle.ident == ident:
                break
            if _handle is None or _handle.users == 0:
                if _handle is not None:
                    _handle.close()
                    _handle = None
                _handle = _Handle(ident)
                break
            _switch.wait()
        handle = _handle
        handle.users += 1
    try:
        yield handle
    finally:
        with _switch:
            handle.users -= 1
            _switch.notify_all()


def memory_limit() -> str:
    """DuckDB's memory limit for this process: ``$WIF_DUCKDB_MEMORY`` (e.g. "4GB") or ``DEFAULT_MEMORY_LIMIT``."""
    value = (os.environ.get("WIF_DUCKDB_MEMORY") or DEFAULT_MEMORY_LIMIT).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, flags=re.IGNORECASE):
        raise ValueError(f"WIF_DUCKDB_MEMORY invalide : {value!r} (attendu par exemple « 1GB »)")
    return value


def _freeze(params: dict | None) -> tuple:
    if not params:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in params.items()))


@lru_cache(maxsize=512)
def _cached_query(ident: tuple, sql: str, frozen: tuple) -> pd.DataFrame:
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}
    with _borrow() as handle:
        return handle.statements().run(sql, params)


class _InFlight:
    """One lock per query being answered, shared by the threads asking for it, dropped when the last one leaves."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks: dict[tuple, list] = {}   # key → [lock, threads holding or waiting for it]

    @contextmanager
    def only_one(self, key: tuple) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]


_in_flight = _InFlight()


def query(sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run ``sql`` with named ``params`` ($name) on the warehouse; returns a fresh DataFrame.

    Identical queries asked at the same time run once: the first computes, the others then read the cache."""
    key = (identity(), sql, _freeze(params))
    with _in_flight.only_one(key):
        return _cached_query(*key).copy()


def bound_rows(columns: dict[str, tuple[str, list]]) -> tuple[str, dict]:
    """A SELECT reading values already at hand (the rows of a cached frame) as a relation, and its parameters: one
    column per entry ``name: (DuckDB type, values)``, the values (all of one length) bound as a list parameter
    named after the column."""
    select = ", ".join(f"unnest(CAST(${name} AS {kind}[])) AS {name}" for name, (kind, _) in columns.items())
    return f"SELECT {select}", {name: values for name, (_, values) in columns.items()}


def scalar(sql: str, params: dict | None = None):
    """First column of the first row of ``query(sql, params)``, or None when there is no row."""
    frame = query(sql, params)
    return None if frame.empty else frame.iat[0, 0]
