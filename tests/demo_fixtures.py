"""Session fixtures: one small demo warehouse built through the real ETL command line.

``demo_raw`` is the folder of raw payloads the generator wrote (Matomo JSON, DS GraphQL pages), ``demo_db``
the warehouse ``python -m etl demo`` built from them. Scale, seed and end date are fixed so figures are
reproducible.
"""

from __future__ import annotations

import pytest

from etl.cli import main

DEMO_ARGS = {"scale": "0.05", "seed": "7", "end": "2026-11-22"}


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    raw, db = folder / "raw", folder / "wif.duckdb"
    code = main(["demo", "--scale", DEMO_ARGS["scale"], "--seed", DEMO_ARGS["seed"], "--end", DEMO_ARGS["end"],
                 "--raw", str(raw), "--db", str(db), "--quiet"])
    assert code == 0
    return raw, db


@pytest.fixture(scope="session")
def demo_raw(demo_build):
    return demo_build[0]


@pytest.fixture(scope="session")
def demo_db(demo_build):
    return demo_build[1]
