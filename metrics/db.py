"""Read-only access to the published warehouse for the metrics layer.

The connection is opened lazily (never at import time), read-only, and reopened when the file behind
``WIF_DB`` changes (the ETL publishes with ``os.replace``, so a new inode means a new build). Results are
cached per (file identity, SQL, parameters): a callback asking twice for the same numbers costs nothing.
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "wif.duckdb"
# DuckDB's buffer pool per serving process (its default is 80 % of the machine's memory, per process): bounded so
# that a worker stays under the serving budget; ``$WIF_DUCKDB_MEMORY`` overrides it (e.g. "4GB").
DEFAULT_MEMORY_LIMIT = "1GB"


class WarehouseMissing(RuntimeError):
    """No warehouse file at the configured path."""


_lock = threading.Lock()
_override: Path | None = None
_handle: tuple[tuple, duckdb.DuckDBPyConnection] | None = None


def database_path() -> Path:
    """Path of the warehouse: ``use_database()`` override, else ``$WIF_DB``, else ``data/wif.duckdb``."""
    if _override is not None:
        return _override
    return Path(os.environ.get("WIF_DB") or DEFAULT_DB)


def use_database(path: Path | str | None) -> None:
    """Point the metrics layer at another warehouse file (tests, tools); None restores the default."""
    global _override, _handle
    with _lock:
        _override = Path(path) if path is not None else None
        _handle = None
    _cached_query.cache_clear()


def identity() -> tuple:
    """Identity of the current warehouse file (path, inode, mtime, size): changes with every publish."""
    path = database_path()
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise WarehouseMissing(f"entrepôt de données introuvable : {path}") from exc
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def _connection(ident: tuple) -> duckdb.DuckDBPyConnection:
    global _handle
    with _lock:
        if _handle is None or _handle[0] != ident:
            # The previous connection is not closed here: threads may still hold cursors on it; it is
            # released when the last of them is garbage-collected (its file stays readable after os.replace).
            con = duckdb.connect(ident[0], read_only=True)
            # A setting, not a connection option: other connections to the file (tools, tests) stay possible.
            con.execute(f"SET memory_limit = '{memory_limit()}'")
            _handle = (ident, con)
        return _handle[1]


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
    cursor = _connection(ident).cursor()
    try:
        return cursor.execute(sql, params or None).df()
    finally:
        cursor.close()


def query(sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run ``sql`` with named ``params`` ($name) on the warehouse; returns a fresh DataFrame."""
    return _cached_query(identity(), sql, _freeze(params)).copy()


def scalar(sql: str, params: dict | None = None):
    """First column of the first row of ``query(sql, params)``, or None when there is no row."""
    frame = query(sql, params)
    return None if frame.empty else frame.iat[0, 0]
