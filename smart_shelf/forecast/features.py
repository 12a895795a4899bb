"""Point-in-time features of a shelf's demand `step` days after an origin. Pure.

An origin is a supplier cutoff: the order placed then must cover the days until the delivery after
next. At the cutoff the days before it have closed and the cutoff's own day has not, so every
observed value (demand, lost sales, stock, traffic) comes from days before the origin's; lags of the
target day reach back at least a week, and step <= 7, so they stay in the past too. Only what is
published ahead (the weekly promotions, the calendar) is read for the target day itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smart_shelf.contracts import FEATURES, ShelfFeatures
from smart_shelf.forecast.panel import Panel

__all__ = ["COVER_STEPS", "FEATURES", "MAX_STEP", "MIN_HISTORY", "feature_rows", "features_at"]

MIN_HISTORY = 28  # days before an origin the features need
MAX_STEP = 7
COVER_STEPS = (1, 2, 3, 4)  # the longest cover: Thursday's cutoff to Monday's delivery after next


def features_at(panel: Panel, origin: int, steps: range | tuple[int, ...]) -> pd.DataFrame:
    """One row per shelf and step: the features of demand on day `origin + step`, from what is known
    at the origin (day index `origin`, whose own values are not). Columns FEATURES, then `shelf_id`,
    `origin` and `target` (the target day's index)."""
    if origin < MIN_HISTORY:
        raise ValueError(f"an origin needs {MIN_HISTORY} days of history before it (got {origin})")
    past = panel.demand[:, :origin]  # only days before the origin: the guard against leakage
    traffic = panel.traffic[:origin]
    n = len(panel.shelves)
    mean_7, mean_28 = past[:, -7:].mean(axis=1), past[:, -28:].mean(axis=1)
    common = {
        "visibility": panel.visibility,
        "price": panel.price,
        "capacity": panel.capacity,
        "category": panel.category,
        "last_day": past[:, -1],
        "mean_7": mean_7,
        "mean_14": past[:, -14:].mean(axis=1),
        "mean_28": mean_28,
        "std_7": past[:, -7:].std(axis=1),
        "std_28": past[:, -28:].std(axis=1),
        "lost_share_7": panel.lost[:, origin - 7 : origin].sum(axis=1)
        / np.maximum(past[:, -7:].sum(axis=1), 1),
        "fill_ratio": panel.stock_close[:, origin - 1] / np.maximum(panel.capacity, 1),
        "traffic_mean_7": np.full(n, traffic[-7:].mean()),
    }
    frames = []
    for step in steps:
        if not 1 <= step <= MAX_STEP:
            raise ValueError(f"step {step} outside 1..{MAX_STEP}")
        target = origin + step
        weeks_back = [target - 7 * w for w in (1, 2, 3, 4)]  # all before the origin: step <= 7
        same_weekday = np.stack([past[:, i] for i in weeks_back], axis=1)
        traffic_same = traffic[weeks_back].mean()
        weekday = panel.days[target].weekday()
        frame = pd.DataFrame(
            {
                **common,
                "step": np.full(n, step),
                "weekday": np.full(n, weekday),
                "weekend": np.full(n, int(weekday >= 5)),
                "weekly_discount": panel.weekly_discount[:, target],
                "discount_change": panel.weekly_discount[:, target] - panel.weekly_discount[:, origin - 1],
                "same_weekday_1": same_weekday[:, 0],
                "same_weekday_2": same_weekday[:, 1],
                "same_weekday_mean_4": same_weekday.mean(axis=1),
                "traffic_same_weekday": np.full(n, traffic_same),
                "weekday_factor": np.full(n, traffic_same / max(traffic[-28:].mean(), 1.0)),
            }
        )
        frame["shelf_id"] = panel.shelves
        frame["origin"] = origin
        frame["target"] = target
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out[[*FEATURES, "shelf_id", "origin", "target"]]


def feature_rows(panel: Panel, origin: int, steps: tuple[int, ...] = COVER_STEPS) -> list[ShelfFeatures]:
    """The features at an origin as contract rows (contracts.ShelfFeatures): what
    analytics.shelf_daily_features holds, one row per shelf and target day."""
    frame = features_at(panel, origin, steps)
    feature_date = panel.days[origin]
    targets = {t: panel.days[t] for t in frame["target"].unique()}
    return [
        ShelfFeatures(
            shelf_id=record["shelf_id"],
            feature_date=feature_date,
            target_date=targets[record["target"]],
            **{name: record[name] for name in FEATURES},
        )
        for record in frame.to_dict("records")
    ]
