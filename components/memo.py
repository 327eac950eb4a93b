"""Page callbacks whose whole answer is remembered per warehouse file.

A page callback's answer depends only on its inputs and on the published warehouse, so ``cached_callback``
(used like ``dash.callback``) keeps each answer, keyed on (the callback's outputs, its input values), for the
warehouse file served now (``metrics.db.identity()``). A repeated view costs a dictionary look-up and one
JSON decoding instead of queries, figure building and Dash's serialisation. Only callbacks whose answer is a
function of their inputs and the warehouse may use it (not those reading the clock, the session or
``dash.ctx``).

Answers are kept as JSON texts of the data Dash would send (the data ``plotly.io.json.to_json_plotly``, what Dash
uses, writes; see ``to_json_text``), so what a hit returns is exactly what a miss returned, and the memory held is
the byte length of the kept texts: least recently used answers go first beyond ``MAX_BYTES`` or ``MAX_ENTRIES``.
When the warehouse file changes (a publish replaces it), every kept answer is dropped before the first answer for
the new file is looked up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps

import dash
import orjson
from dash import Output
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

from metrics import db

MAX_ENTRIES = 2048
MAX_BYTES = 48 * 1024 * 1024
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _encodable(obj):
    """What orjson writes for an object it cannot encode itself: a Dash component's dict, else the decoded
    ``to_json_plotly`` text of that object alone (pandas timestamps and series, non-numeric numpy arrays…)."""
    if isinstance(obj, Component):
        return obj.to_plotly_json()
    return orjson.loads(to_json_plotly(obj))


def to_json_text(value) -> bytes:
    """``value`` (figures, Dash components, numpy arrays, plain data) as the JSON Dash sends for it.

    orjson writes the whole value and asks ``_encodable`` only for what it cannot encode (mostly components):
    the same data as ``to_json_plotly``, which walks every value of the tree in Python once a component is in it.
    Two kinds of values it writes as orjson does and ``to_json_plotly`` does not inside such a tree: numpy
    datetime64 arrays (``2025-01-01T00:00:00``, not ``…T00:00:00.000000000``) and float32 scalars (shortest
    float32 text); answers hold neither (dates go out as texts, DuckDB gives float64). Characters that
    ``to_json_plotly`` escapes for HTML (``/``, ``<``…) are left as they are: they decode to the same text."""
    return orjson.dumps(value, default=_encodable, option=_OPTIONS)


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
            text = to_json_text(value)   # one output: its value; several: the array of their values
            cache.put(ident, key, text)
        return orjson.loads(text)

    return answer


def cached_callback(*args, **kwargs):
    """``dash.callback`` for a callback whose answer only depends on its inputs and the warehouse (see module)."""
    outputs = tuple(str(a) for a in args if isinstance(a, Output))

    def register(func):
        return dash.callback(*args, **kwargs)(remembered(outputs, func))

    return register
