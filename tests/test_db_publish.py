"""The metrics layer follows each publish of the warehouse, without closing a connection under a query."""

from __future__ import annotations

import threading

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
        with db._borrow() as con:
            holding.set()
            release.wait(30)
            seen["old"] = con.cursor().execute(COUNT).fetchall()[0][0]

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
