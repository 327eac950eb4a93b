"""The metrics layer follows each publish of the warehouse, without closing a connection under a query."""

from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pandas as pd
import pytest

from metrics import db
from tests.factories import dossier, make_warehouse

COUNT = "SELECT count(*) FROM dossiers"


@pytest.fixture
def published(tmp_path):
    path = make_warehouse(tmp_path, dossiers=[dossier(1, depose_at="2025-01-02 10:00")])
    db.use_database(path)
    yield tmp_path
    db.use_database(None)


def publish(folder, n: int) -> None:
    make_warehouse(folder, dossiers=[dossier(i, depose_at="2025-01-02 10:00") for i in range(1, n + 1)])


def test_each_publish_is_served_by_the_next_query(published):
    assert db.scalar(COUNT) == 1
    publish(published, 2)
    assert db.scalar(COUNT) == 2     # DuckDB would hand back the replaced file if the old handle stayed open
    publish(published, 3)
    assert db.scalar(COUNT) == 3


def test_a_query_in_flight_keeps_its_file_and_the_switch_waits_for_it(published):
    assert db.scalar(COUNT) == 1
    holding, release = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def in_flight():
        with db._borrow() as handle:
            holding.set()
            release.wait(30)
            seen["old"] = handle.statements().run(COUNT, {}).iat[0, 0]

    def next_request():
        seen["new"] = db.scalar(COUNT)

    first = threading.Thread(target=in_flight)
    first.start()
    assert holding.wait(30)
    publish(published, 4)
    second = threading.Thread(target=next_request)
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the new file must not be opened while a query runs on the old one"
    release.set()
    first.join(30)
    second.join(30)
    assert seen == {"old": 1, "new": 4}


def test_identical_queries_asked_together_run_once(published, monkeypatch):
    runs, started = [], threading.Event()
    borrow = db._borrow

    def slow_borrow():
        runs.append(1)
        started.set()
        threading.Event().wait(0.3)    # long enough for the other threads to ask meanwhile
        return borrow()

    monkeypatch.setattr(db, "_borrow", slow_borrow)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(db.scalar(COUNT))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [1, 1, 1, 1]
    assert len(runs) == 1
    assert not db._in_flight._locks      # nothing left behind
    db.scalar("SELECT count(*) + 1 FROM dossiers")
    assert len(runs) == 2                # another query runs


def test_a_statement_is_prepared_once_per_thread_and_run_with_each_filter(published):
    sql = "SELECT count(*) FILTER (WHERE n = ANY($ns)) AS hits, $label AS label, $day AS day FROM (SELECT 1 AS n)"
    first = db.query(sql, {"ns": [1, 2], "label": "l'été", "day": date(2021, 3, 4)})
    second = db.query(sql, {"ns": [3], "label": "x", "day": date(2022, 1, 1)})
    assert first.to_dict("records") == [{"hits": 1, "label": "l'été", "day": pd.Timestamp("2021-03-04")}]
    assert second.to_dict("records") == [{"hits": 0, "label": "x", "day": pd.Timestamp("2022-01-01")}]
    with db._borrow() as handle:
        assert list(handle.statements().names).count(sql) == 1


def test_sql_literals_cannot_be_escaped_from():
    assert db.sql_literal("a'); DROP TABLE x; --") == "'a''); DROP TABLE x; --'"
    assert db.sql_literal([date(2021, 1, 2), None, True, 3, 1.5]) == "[DATE '2021-01-02', NULL, true, 3, 1.5]"
    assert db.sql_literal([np.int64(7), np.bool_(False), pd.NaT, pd.Timestamp("2021-01-02 03:04")]) == (
        "[7, false, NULL, TIMESTAMP '2021-01-02 03:04:00']")
    with pytest.raises(TypeError):
        db.sql_literal(object())
