"""Results of ``make bench`` as a Markdown table (printed and written to ``bench/results.md``) with the targets
of issue 9 flagged ✅/❌, and the raw figures in ``bench/results.json``."""

from __future__ import annotations

import json
from pathlib import Path

TARGETS = {"page_warm_p95_ms": 150, "page_cold_ms": 1000, "build_s": 180, "incremental_s": 15, "rss_mb": 1536,
           "metrics_ratio": 10}


def flag(ok: bool) -> str:
    return "✅" if ok else "❌"


def extrapolate(builds: list[dict], key: str, scale: float = 100) -> float | None:
    """Linear extrapolation of ``key`` to ``scale`` from the two largest measured scales (None with one, or when
    ``scale`` itself was measured)."""
    if len(builds) < 2 or any(b["scale"] == scale for b in builds):
        return None
    a, b = sorted(builds, key=lambda x: x["scale"])[-2:]
    slope = (b[key] - a[key]) / (b["scale"] - a["scale"])
    return round(b[key] + slope * (scale - b["scale"]), 1)


def _build_table(builds: list[dict]) -> list[str]:
    lines = ["| échelle | visites | actions | dossiers | génération s (CPU s) | RSS génération | "
             "construction s (CPU s) | RSS construction (tous processus) | charge | lignes/s construction | base Mo "
             "| brut Mo |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for b in builds:
        r = b["rows"]
        tree = f" ({b['build_tree_rss_mb']:.0f} Mo)" if b.get("build_tree_rss_mb") else ""
        lines.append(
            f"| {b['scale']:g} | {r['visits']:,} | {r['actions']:,} | {r['dossiers']:,} | {b['generate_s']} "
            f"({b['generate_cpu_s']}) | {b['generate_rss_mb']:.0f} Mo | {b['build_s']} ({b['build_cpu_s']}) | "
            f"{b['build_rss_mb']:.0f} Mo{tree} | {b['load_avg']} | {b['build_rows_per_s']:,} | {b['db_mb']} | "
            f"{b['raw_mb']} |".replace(",", " "))
    lines.append("\nRSS : pic du plus gros processus (``ru_maxrss``) ; entre parenthèses, pic de la somme des "
                 "processus (lecteurs parallèles compris), échantillonné. Charge : moyenne 1 min de la machine à la "
                 "fin de la construction.")
    phases = [f"échelle {b['scale']:g} : Matomo {b['build_phases']['matomo_s']} s, DS {b['build_phases']['ds_s']} s, "
              f"finalize et publication {b['build_phases']['finalize_s']} s" for b in builds if b.get("build_phases")]
    if phases:
        lines.append("\nConstruction par étape (temps réel) : " + " ; ".join(phases) + ".")
    for key, label in (("generate_s", "génération"), ("build_s", "construction")):
        value = extrapolate(builds, key)
        if value is not None:
            lines.append(f"\nExtrapolation linéaire à l'échelle 100 ({label}) : ≈ {value:.0f} s.")
    return lines


def _pages_table(pages: list[dict]) -> list[str]:
    lines = ["| page | callbacks | froid ms (CPU) | défaut (cache) p50/p95 ms | filtres 1re fois p50/p95 ms "
             "(CPU p50/p95) | filtres (cache) p50/p95 ms | RSS Mo (pic) | erreurs |",
             "|---|---|---|---|---|---|---|---|"]
    for p in pages:
        w, f1, f2 = p["warm_default"], p["filters_first"], p["filters_again"]
        cold = f"{p['cold_ms']:.0f} ({p['cold_cpu_ms']:.0f}) {flag(p['cold_ms'] < TARGETS['page_cold_ms'])}"
        lines.append(f"| {p['path']} | {p['callbacks']} | {cold} | {w['p50']:.0f} / {w['p95']:.0f} | "
                     f"{f1['p50']:.0f} / {f1['p95']:.0f} ({f1['cpu_p50']:.0f} / {f1['cpu_p95']:.0f}) "
                     f"{flag(f1['p95'] < TARGETS['page_warm_p95_ms'])} | {f2['p50']:.0f} / {f2['p95']:.0f} | "
                     f"{p['peak_rss_mb']:.0f} | {len(p['errors'])} |")
    return lines


def _equivalence_table(rows: list[dict]) -> list[str]:
    lines = ["| métrique | lignes | pandas ms | couche metrics ms | rapport | rapport avec chargement | résultat |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "metrics_ms" not in r:
            lines.append(f"| {r['metric']} | | {r['pandas_ms']} | | | | |")
            continue
        lines.append(f"| {r['metric']} | {r['rows']} | {r['pandas_ms']} | {r['metrics_ms']} | {r['ratio']}× "
                     f"{flag(r['ratio'] >= TARGETS['metrics_ratio'])} | {r['ratio_with_load']}× | {r['status']} |")
    return lines


def render(results: dict) -> str:
    """The whole report as Markdown."""
    out = [f"# make bench — {results['started']}", "",
           f"Machine : {results['machine']}. Charge moyenne (1 min) à la fin du lancement : {results['load_avg']} "
           "(charge de chaque échelle : dans sa section). "
           "Temps « CPU s » = utilisateur + système du processus (plus stable que le temps réel sur une machine "
           "partagée).", "", "## Génération de la démo et construction de l'entrepôt", "",
           *_build_table(results["builds"])]
    for scale, section in results["scales"].items():
        loads = " / ".join(str(x) for x in section.get("load_avg", []))
        settled = (f" Pages mesurées après {section['settle_s']} s d'attente, charge (1 min) au départ "
                   f"{section['load_before']}." if "settle_s" in section else "")
        out += ["", f"## Échelle {scale}", "", f"Code mesuré : commit {section.get('commit', '?')}, mesures terminées "
                f"le {section.get('finished', '?')} ; charge de la machine à la fin (1 / 5 / 15 min) : {loads}."
                f"{settled}", "",
                f"Démarrage de l'application : {section['app']['startup_ms']} ms ; "
                f"gabarit de l'application (/_dash-layout) : {section['app']['layout_ms']} ms.", "",
                "### Pages (client de test Flask, somme des callbacks de la page)", "", *_pages_table(section["pages"]),
                "", "### Même résultat en pandas et par la couche metrics (vue par défaut)", "",
                *_equivalence_table(section["equivalence"]), "",
                "### Rafraîchissement incrémental (copie de l'entrepôt publié, remplacement du dernier jour Matomo, "
                "upsert de 1 % des dossiers, finalize, publication ; secondes)", "",
                " | ".join(f"{k} = {v}" for k, v in section["incremental"].items())
                + f" {flag(section['incremental']['total_s'] < TARGETS['incremental_s'])}",
                *(["\nMesure précédente (avant la dérivation limitée aux jours remplacés) : "
                   + " | ".join(f"{k} = {v}" for k, v in section["incremental_before"].items())]
                  if "incremental_before" in section else [])]
    out += ["", "## Cibles (issue 9)", "", *results["targets"]]
    return "\n".join(out) + "\n"


def targets(results: dict) -> list[str]:
    """One line per target of the issue, evaluated at the largest measured scale."""
    scale = max(results["scales"], key=float)
    section, build = results["scales"][scale], max(results["builds"], key=lambda b: b["scale"])
    pages = section["pages"]
    worst_warm = max(p["filters_first"]["p95"] for p in pages)
    worst_cold = max(p["cold_ms"] for p in pages)
    rss = max(p["peak_rss_mb"] for p in pages)
    ratios = [r["ratio"] for r in section["equivalence"] if "ratio" in r]
    build100 = extrapolate(results["builds"], "build_s")
    return [
        f"- Mesuré à l'échelle {scale} (la cible vise l'échelle 100).",
        f"- {flag(worst_warm < TARGETS['page_warm_p95_ms'])} p95 des pages (filtres changés, processus chaud) "
        f"< 150 ms : pire page {worst_warm:.0f} ms.",
        f"- {flag(worst_cold < TARGETS['page_cold_ms'])} première réponse après démarrage < 1 s : pire page "
        f"{worst_cold:.0f} ms.",
        f"- {flag(build['build_s'] < TARGETS['build_s'])} construction complète < 3 min : {build['build_s']} s à "
        f"l'échelle {build['scale']:g}" + (f", ≈ {build100:.0f} s extrapolés à l'échelle 100 "
                                            f"{flag(build100 < TARGETS['build_s'])}." if build100 else "."),
        f"- {flag(section['incremental']['total_s'] < TARGETS['incremental_s'])} rafraîchissement incrémental < 15 s "
        f"(un jour Matomo + 1 % des dossiers, analyse JSON exclue) : {section['incremental']['total_s']} s.",
        f"- {flag(rss < TARGETS['rss_mb'])} RSS du processus servant < 1,5 Gio : {rss:.0f} Mo au pic.",
        f"- {flag(min(ratios) >= TARGETS['metrics_ratio'])} couche metrics ≥ 10× plus rapide que pandas : "
        f"{min(ratios)}× à {max(ratios)}× (calcul seul).",
    ]


def write(results: dict, folder: Path) -> str:
    """Write results.md / results.json under ``folder``; returns the Markdown."""
    results["targets"] = targets(results)
    text = render(results)
    (folder / "results.md").write_text(text, encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return text
