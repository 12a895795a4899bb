"""The demand forecast beside its baselines: `python -m smart_shelf.forecast` on fresh 91-day
histories of three seeds (in memory), one origin per supplier cutoff over the last 28 days. Each
figure of the model stands beside the baselines' on the same origins; the bar is the one a model
must clear to become the champion (smart_shelf.forecast.evaluate.forecast_bar)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAYS, SEEDS = 91, "1,2,3"


def bench_forecast(days: int = DAYS, seeds: str = SEEDS) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "forecast.json"
        began = time.monotonic()
        argv = [
            sys.executable,
            "-m",
            "smart_shelf.forecast",
            "--days",
            str(days),
            "--seeds",
            seeds,
            "--json",
            str(out),
        ]
        subprocess.run(argv, check=True, timeout=7200, stdout=sys.stderr)
        figures = json.loads(out.read_text())
    return {**figures, "days": days, "seconds": time.monotonic() - began}


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
