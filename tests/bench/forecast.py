"""The demand forecast beside its baselines: `python -m smart_shelf.forecast` on fresh 91-day
histories of three seeds (in memory), one origin per supplier cutoff over the last 28 days. Each
figure of the model stands beside the baselines' on the same origins; the bar is the one a model
must clear to become the champion (smart_shelf.forecast.evaluate.forecast_bar)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAYS, SEEDS = 91, "1,2,3"


def _json_of(module: str, *args: str, env: dict | None = None) -> dict:
    """Runs `python -m module args --json F` (its progress on stderr) and returns F's figures with the
    run's seconds."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        began = time.monotonic()
        argv = [sys.executable, "-m", module, *args, "--json", str(out)]
        subprocess.run(argv, check=True, timeout=7200, stdout=sys.stderr, env={**os.environ, **(env or {})})
        return {**json.loads(out.read_text()), "seconds": time.monotonic() - began}


def bench_forecast(days: int = DAYS, seeds: str = SEEDS) -> dict:
    return {**_json_of("smart_shelf.forecast", "--days", str(days), "--seeds", seeds), "days": days}


def forecast_section(forecast: dict) -> list[str]:
    scores = forecast["scores"]
    rows = [
        f"| {'**model** (XGBoost)' if name == 'model' else name + ' (reference)'} | {s['rmsse']:.3f} | "
        f"{s['mase']:.3f} | {s['wape']:.3f} | {s['bias']:+.3f} | {s['pinball']:.3f} |"
        for name, s in scores.items()
    ]
    return [
        f"## Demand forecast ({forecast['seeds']} seeds x {forecast['days']} simulated days, "
        f"{forecast['origins']} cutoffs held out each)",
        "",
        "| forecaster | RMSSE | MASE | WAPE | bias | pinball 0.95 |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Bar: "
        + "; ".join(f"{what}: {'met' if ok else 'MISSED'}" for what, ok in forecast["bar"].items())
        + ".",
        f"Refit per origin: {forecast['fit_seconds_per_origin']:.1f} s; a seed's 91-day history: "
        f"{forecast['history_seconds_per_seed']:.0f} s.",
        "",
    ]


POLICY_DAYS, POLICY_SEEDS = 28, (42, 7)


def bench_policies(days: int = POLICY_DAYS, seeds: tuple[int, ...] = POLICY_SEEDS) -> dict:
    """make compare-policies (rule, ma28, ml) for each seed: the model trained on the warm-up weeks,
    the policies compared over the next `days`."""
    return {
        str(seed): _json_of("smart_shelf.history.policy_lab", "--days", str(days), env={"SEED": str(seed)})
        for seed in seeds
    }


def policies_section(runs: dict) -> list[str]:
    lines = [
        "## Ordering from the forecast (`make compare-policies`)",
        "",
        "Per seed: the store under the rule for the warm-up weeks (the model learns from them), then the",
        "same store, customers and random draws under each policy for the compared days. A stock-out",
        "shelf-day: a sale lost at the shelf, or the shelf empty at the close. Stock: mean units per",
        "product at the close, shelf and warehouse.",
        "",
        "| seed | policy | stock-out shelf-days | lost-sale units | expired units | shelf stock | wh stock "
        "| orders | planning per cutoff |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed, run in runs.items():
        for name, o in run["outcomes"].items():
            label = "**ml** (the model)" if name == "ml" else f"{name} (reference)"
            lines.append(
                f"| {seed} | {label} | {o['stock_out_shelf_days']:,} ({o['stock_out_rate']:.1%}) | "
                f"{o['lost_sale_units']:,} | {o['expired_units']:,} | {o['mean_shelf_stock']:.1f} | "
                f"{o['mean_warehouse_stock']:.1f} | {o['orders']:,} | "
                + (f"{o['seconds_per_cutoff']:.1f} s |" if o["seconds_per_cutoff"] else "- |")
            )
    lines.append("")
    for seed, run in runs.items():
        rule, ml = run["outcomes"]["rule"], run["outcomes"]["ml"]
        fewer = 1 - ml["stock_out_shelf_days"] / max(rule["stock_out_shelf_days"], 1)
        lines.append(
            f"Seed {seed} ({run['warmup']} warm-up days, {run['days']} compared, {run['seconds']:.0f} s): "
            f"{fewer:.0%} fewer stock-out shelf-days than the rule; "
            + "; ".join(f"{what}: {'met' if ok else 'MISSED'}" for what, ok in run["bar"].items())
            + "."
        )
    return [*lines, ""]
