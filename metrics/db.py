"""Read-only access to the published warehouse for the metrics layer.

The connection is opened lazily (never at import time), read-only, and reopened when the file behind
``WIF_DB`` changes (the ETL publishes with ``os.replace``, so a new inode means a new build); the old one
is closed once no query runs on it (see ``_borrow``). Results are cached per (file identity, SQL,
parameters): a callback asking twice for the same numbers costs nothing, and callbacks asking for them at the
same time (a browser fires a page's callbacks together) run the query once: the others wait for its answer.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb
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


class _Handle:
    """A read-only connection to one published file and the number of queries running on it."""

    def __init__(self, ident: tuple):
        self.ident = ident
        self.con = duckdb.connect(ident[0], read_only=True)
        # A setting, not a connection option: other connections to the file (tools, tests) stay possible.
        self.con.execute(f"SET memory_limit = '{memory_limit()}'")
        self.users = 0
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
            _handle.con.close()
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
def _borrow() -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the file published now, held for one query.

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
                    _handle.con.close()
                    _handle = None
                _handle = _Handle(ident)
                break
            _switch.wait()
        handle = _handle
        handle.users += 1
    try:
        yield handle.con
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
    with _borrow() as con:
        cursor = con.cursor()
        try:
            return cursor.execute(sql, params or None).df()
        finally:
            cursor.close()


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
