"""Page callbacks whose whole answer is remembered per warehouse file.

A page callback's answer depends only on its inputs and on the published warehouse, so ``cached_callback``
(used like ``dash.callback``) keeps each answer, keyed on (the callback's outputs, its input values), for the
warehouse file served now (``metrics.db.identity()``). A repeated view costs a dictionary look-up and one
JSON decoding instead of queries, figure building and Dash's serialisation. Only callbacks whose answer is a
function of their inputs and the warehouse may use it (not those reading the clock, the session or
``dash.ctx``).

Answers are kept as the JSON text Dash would send (``plotly.io.json.to_json_plotly``, what Dash uses), so what
a hit returns is exactly what a miss returned, and the memory held is the byte length of the kept texts:
least recently used answers go first beyond ``MAX_BYTES`` or ``MAX_ENTRIES``. When the warehouse file changes
(a publish replaces it), every kept answer is dropped before the first answer for the new file is looked up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps

import dash
import orjson
from dash import Output
from plotly.io.json import to_json_plotly

from metrics import db

MAX_ENTRIES = 2048
MAX_BYTES = 48 * 1024 * 1024
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def to_json_text(value) -> bytes:
    """``value`` (figures, Dash components, numpy arrays, plain data) as the JSON Dash sends for it."""
    try:
        return orjson.dumps(value, option=_OPTIONS)   # plain data: what to_json_plotly's fast path does
    except TypeError:
        return to_json_plotly(value).encode()


class AnswerCache:
    """Least recently used answers (JSON texts), bounded in count and bytes, for one warehouse identity."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()
        self._texts: OrderedDict[tuple, bytes] = OrderedDict()
        self._ident: tuple | None = None
        self.size = 0

    def __len__(self) -> int:
        return len(self._texts)

    def _follow(self, ident: tuple) -> None:
        if ident != self._ident:
            self._texts.clear()
            self._ident, self.size = ident, 0

    def get(self, ident: tuple, key: tuple) -> bytes | None:
        with self._lock:
            self._follow(ident)
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
            return text

    def put(self, ident: tuple, key: tuple, text: bytes) -> None:
        if len(text) > self.max_bytes:
            return
        with self._lock:
            self._follow(ident)
            old = self._texts.pop(key, None)
            self.size += len(text) - (len(old) if old is not None else 0)
            self._texts[key] = text
            while self.size > self.max_bytes or len(self._texts) > self.max_entries:
                _, dropped = self._texts.popitem(last=False)
                self.size -= len(dropped)


ANSWERS = AnswerCache()


def remembered(outputs: tuple[str, ...], func, cache: AnswerCache = ANSWERS):
    """``func`` answering from ``cache`` for (``outputs``, its arguments, the warehouse served now).

    Its answer goes back as plain JSON data (one per output), which Dash serialises without walking it again."""
    multi = len(outputs) > 1

    @wraps(func)
    def answer(*args):
        try:
            ident = db.identity()
        except db.WarehouseMissing:
            return func(*args)   # the callback reports the missing warehouse itself
        key = (outputs, orjson.dumps(args, option=_OPTIONS | orjson.OPT_SORT_KEYS))
        text = cache.get(ident, key)
        if text is None:
            value = func(*args)
            # Output by output: only figures and components take the slow generic walk, not the table rows.
            text = b"[" + b",".join(map(to_json_text, value)) + b"]" if multi else to_json_text(value)
            cache.put(ident, key, text)
        return orjson.loads(text)

    return answer


def cached_callback(*args, **kwargs):
    """``dash.callback`` for a callback whose answer only depends on its inputs and the warehouse (see module)."""
    outputs = tuple(str(a) for a in args if isinstance(a, Output))

    def register(func):
        return dash.callback(*args, **kwargs)(remembered(outputs, func))

    return register
