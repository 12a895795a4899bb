"""python -m smart_shelf.forecast: the forecast against its baselines on fast-forwarded histories.

For each seed (of the customers and the store's operations; the store itself is the one in DATA_DIR),
DAYS days run in memory through make history's engine (from SIM_START, opened from Postgres like
`make history`; nothing is written), and the last HOLDOUT days are held out: one origin per supplier cutoff in them, the model refitted at each on the days before it. Prints
a line per origin, then per seed and over all seeds the scores of the model and each baseline, and
whether the model clears the bar: mean RMSSE at most 0.85 x seasonal naive and 0.95 x the better
moving average, WAPE below every baseline, |bias| at most 5 %.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from smart_shelf.forecast.evaluate import DAYS_BEFORE_HOLDOUT, Evaluation, Scores, evaluate, forecast_bar
from smart_shelf.forecast.features import MIN_HISTORY
from smart_shelf.forecast.panel import panel_from
from smart_shelf.logs import configure_logging
from smart_shelf.settings import FootTrafficSettings, SupplierManagerSettings
from smart_shelf.store.sources import load_inventory, load_weekly_discounts


def history_panel(settings: FootTrafficSettings, days: int):
    from smart_shelf.history.opening import open_fresh_history

    start = settings.sim_start
    history = open_fresh_history(settings)
    customers, began = {}, time.monotonic()
    for n, day in enumerate(history.run(start, days, flush=lambda _events: None), start=1):
        customers[day.day] = day.customers
        if n % 7 == 0 or n == days:
            print(
                f"  seed {settings.data_seed}: day {n}/{days} simulated [{time.monotonic() - began:.0f}s]",
                flush=True,
            )
    inventory = load_inventory(settings, max_wait_seconds=0)
    rows = history.recorder.rows["shelf_daily"].values()
    return panel_from(rows, customers, inventory, load_weekly_discounts(settings))


def table(scores) -> str:
    lines = [f"{'forecaster':<20} {'RMSSE':>7} {'MASE':>7} {'WAPE':>7} {'bias':>7} {'pinball.95':>10}"]
    for name, s in scores.items():
        lines.append(
            f"{name:<20} {s.rmsse:>7.3f} {s.mase:>7.3f} {s.wape:>7.3f} {s.bias:>+7.3f} {s.pinball:>10.3f}"
        )
    return "\n".join(lines)


def mean_scores(evaluations: list[Evaluation]):
    names = evaluations[0].scores
    return {
        name: Scores(
            *(
                float(np.mean([getattr(e.scores[name], f) for e in evaluations]))
                for f in Scores.__dataclass_fields__
            )
        )
        for name in names
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smart_shelf.forecast", description=__doc__)
    parser.add_argument("--days", type=int, default=91, help="simulated days per seed (default 91)")
    parser.add_argument("--holdout", type=int, default=28, help="days held out at the end (default 28)")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--json", type=Path, help="also write the scores and timings here")
    args = parser.parse_args(argv)
    if args.holdout < 7 or args.days - args.holdout < DAYS_BEFORE_HOLDOUT:
        print(
            f"need --holdout >= 7 and at least {DAYS_BEFORE_HOLDOUT} days before it "
            f"({MIN_HISTORY} of features, a week of training)",
            file=sys.stderr,
        )
        return 2
    base = FootTrafficSettings()
    configure_logging(base.log_level)
    calendar_settings = SupplierManagerSettings()
    from spark_apps.wh_supplier_manager.job import calendar

    evaluations, history_seconds = [], []
    for seed in (int(s) for s in args.seeds.split(",") if s.strip()):
        settings = base.model_copy(update={"seed": seed})
        print(f"seed {seed}: {args.days} days from {settings.sim_start.isoformat()}", flush=True)
        began = time.monotonic()
        panel = history_panel(settings, args.days)
        history_seconds.append(time.monotonic() - began)
        evaluation = evaluate(
            panel,
            calendar(calendar_settings),
            first_holdout=panel.observed - args.holdout,
            observed=panel.observed,
            progress=lambda line: print("  " + line, flush=True),
        )
        print(table(evaluation.scores))
        print(f"  fit: {np.mean(evaluation.fit_seconds):.1f}s per origin on average", flush=True)
        evaluations.append(evaluation)
    scores = mean_scores(evaluations)
    print(f"\nmean over {len(evaluations)} seeds, {len(evaluations[0].origins)} origins each:")
    print(table(scores))
    cleared = forecast_bar(scores)
    for what, ok in cleared.items():
        print(f"  {'ok  ' if ok else 'MISS'} {what}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seeds": len(evaluations),
                    "origins": len(evaluations[0].origins),
                    "scores": {name: s.as_dict() for name, s in scores.items()},
                    "bar": cleared,
                    "fit_seconds_per_origin": float(np.mean([np.mean(e.fit_seconds) for e in evaluations])),
                    "history_seconds_per_seed": float(np.mean(history_seconds)),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
