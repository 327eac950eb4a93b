"""Failed-login throttle shared by every gunicorn worker: a small SQLite file beside the warehouse.

A client may fail ``MAX_PER_LOGIN`` times per (IP, login) and ``MAX_PER_IP`` times per IP within
``WINDOW_S`` seconds; further attempts are refused, before any password is checked, until the oldest
failure leaves the window. A successful login clears the failures of its (IP, login). The file
(``WIF_THROTTLE_DB``, default ``connexions.sqlite`` in the warehouse's folder) holds only hashed keys and
times, never a login or an address in clear; the warehouse itself is never written.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

WINDOW_S = 15 * 60
MAX_PER_LOGIN = 5
MAX_PER_IP = 20


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class Throttle:
    """Failed-login counters in the SQLite file ``path``."""

    def __init__(self, path: Path, clock=time.time):
        self.path = Path(path)
        self.clock = clock

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL)")
        con.execute("CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at)")
        return con

    def retry_after(self, ip: str, login: str) -> float:
        """Seconds before (ip, login) may try again; 0 when allowed now."""
        now = self.clock()
        con = self._connect()
        try:
            con.execute("DELETE FROM failures WHERE at < ?", (now - WINDOW_S,))
            waits = []
            for key, limit in ((_key(ip, login.lower()), MAX_PER_LOGIN), (_key(ip), MAX_PER_IP)):
                times = [row[0] for row in con.execute(
                    "SELECT at FROM failures WHERE key = ? ORDER BY at DESC LIMIT ?", (key, limit))]
                if len(times) >= limit:
                    waits.append(times[-1] + WINDOW_S - now)
            return max([0.0, *waits])
        finally:
            con.close()

    def failed(self, ip: str, login: str) -> None:
        """Count one failed attempt against (ip, login) and ip."""
        now = self.clock()
        con = self._connect()
        try:
            con.executemany("INSERT INTO failures VALUES (?, ?)", [(_key(ip, login.lower()), now), (_key(ip), now)])
        finally:
            con.close()

    def succeeded(self, ip: str, login: str) -> None:
        """Forget the failures of (ip, login)."""
        con = self._connect()
        try:
            con.execute("DELETE FROM failures WHERE key = ?", (_key(ip, login.lower()),))
        finally:
            con.close()
