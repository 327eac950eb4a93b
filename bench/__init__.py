"""``make bench``: WIF stats measured at scale (demo generation, ETL build, pages, metrics, incremental publish).

Nothing here is a test: it measures and reports (``bench/results.md`` and ``bench/results.json``), flagging each
target of issue 9. Builds go under ``bench/out/`` (git-ignored); the published ``data/wif.duckdb`` is never
touched. Every heavy step runs in its own child process so wall time and peak RSS are those of that step alone.
"""
