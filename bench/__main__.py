"""``python -m bench [--scales 1 10] [--combos 20]``: the whole benchmark, one run, side by side."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from datetime import date, datetime
from pathlib import Path

from bench import build, report
from bench.children import run_child

HERE = Path(__file__).resolve().parent


SETTLE_LOAD = 0.8     # 1-min load average below which the pages are timed…
SETTLE_MAX_S = 180    # …waiting at most this long after the build


def settle() -> dict:
    """Wait for the machine to settle after a build before timing pages: the build's dirty pages written out
    (``os.sync``) and the 1-min load average under ``SETTLE_LOAD`` (at most ``SETTLE_MAX_S``). Pages timed right
    after the scale-100 build (25 GB read, 0.5 GB written) were 30–60 % slower than on the same machine a minute
    later. Returns the wait and the load when the pages start."""
    started = time.perf_counter()
    os.sync()
    while os.getloadavg()[0] >= SETTLE_LOAD and time.perf_counter() - started < SETTLE_MAX_S:
        time.sleep(5)
    return {"settle_s": round(time.perf_counter() - started, 1), "load_before": round(os.getloadavg()[0], 2)}


def measure_scale(db: Path, out: Path, combos: int, seed: int) -> dict:
    """Pages (one fresh serving process per page, once the machine settled), metric equivalence and incremental
    publish on ``db``."""
    settled = settle()
    env = {"WIF_DB": str(db)}
    answer = out / f"answer-{db.stem}.json"
    app = run_child(["bench.pages", str(answer)], env=env, answer=answer)["answer"]
    pages = []
    for module in app["pages"]:
        pages.append(run_child(["bench.pages", str(answer), "--page", module, "--combos", str(combos),
                                "--seed", str(seed)], env=env, answer=answer)["answer"])
        last = pages[-1]
        print(f"  {module}: froid {last['cold_ms']:.0f} ms, filtres p95 {last['filters_first']['p95']:.0f} ms",
              flush=True)
    equivalence = run_child(["bench.equivalence", str(db), str(answer)], answer=answer)["answer"]["comparisons"]
    incremental = run_child(["bench.incremental", str(db), str(answer)], answer=answer)["answer"]
    answer.unlink(missing_ok=True)
    return {"app": app, "pages": pages, "equivalence": equivalence, "incremental": incremental, **settled}


def _commit() -> str:
    """The commit measured: ``$BENCH_COMMIT`` (a run from an exported copy), else the repository's HEAD."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    done = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "inconnu"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--combos", type=int, default=20, help="combinaisons de filtres aléatoires par page")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2024, 12, 31))
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--reuse", action="store_true",
                        help="reprendre ce qu'un lancement précédent a déjà mesuré (fichiers bruts, entrepôts, "
                             "mesures d'une échelle) au lieu de le refaire")
    parser.add_argument("--keep-raw", action="store_true", help="garder les fichiers bruts après la construction")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"started": datetime.now().isoformat(timespec="seconds"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}",
               "builds": [], "scales": {}}
    for scale in args.scales:
        print(f"échelle {scale:g} : génération et construction…", flush=True)
        measured = build.measure_build(args.out, scale, args.seed, args.end, args.reuse, args.keep_raw)
        results["builds"].append(measured)
        print(f"  génération {measured['generate_s']} s, construction {measured['build_s']} s", flush=True)
        record = args.out / f"scale-{scale:g}.json"
        if args.reuse and record.exists():
            section = json.loads(record.read_text(encoding="utf-8"))
        else:
            section = measure_scale(Path(measured["db"]), args.out, args.combos, args.seed)
            section.update(commit=_commit(), load_avg=[round(x, 1) for x in os.getloadavg()],
                           finished=datetime.now().isoformat(timespec="seconds"))
            record.write_text(json.dumps(section), encoding="utf-8")
        results["scales"][f"{scale:g}"] = section
    results["load_avg"] = round(os.getloadavg()[0], 1)
    print(report.write(results, HERE))


if __name__ == "__main__":
    main()
