"""The store map: the floor plan from the layout file, each shelf's condition, each area coloured by
its worst shelf. The rules are pure (rows in, rows out); `figure` draws them with Plotly."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import yaml

from smart_shelf.store.expiry import is_near_expiry
from smart_shelf.store.plans import needs_refill
from spark_apps.shelf_alert_engine.rules import ShelfPolicy

# worst first: an area takes the colour of its worst shelf
CONDITIONS = ("empty", "low", "near_expiry", "ok")
COLOURS = {"empty": "#d7301f", "low": "#fc8d59", "near_expiry": "#fdd49e", "ok": "#d9f0d3"}
LABELS = {"empty": "empty", "low": "below threshold", "near_expiry": "near expiry", "ok": "ok"}
WEIGHT_COLOUR = "#1a9850"
ALERT_COLOUR = "#b2182b"
HOVER_SHELVES = 12  # shelves an area's hover lists by name


@dataclass(frozen=True)
class Area:
    aisle: int
    name: str
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    areas: tuple[Area, ...]
    features: tuple[Area, ...] = ()

    def area_of(self, aisle: int) -> Area | None:
        return next((a for a in self.areas if a.aisle == aisle), None)


def load_layout(path: Path) -> Layout:
    doc = yaml.safe_load(path.read_text())
    areas = tuple(
        Area(**{k: a[k] for k in ("aisle", "name", "x", "y", "width", "height")}) for a in doc["areas"]
    )
    features = tuple(Area(aisle=0, **f) for f in doc.get("features") or ())
    return Layout(float(doc["width"]), float(doc["height"]), areas, features)


def condition(
    stock: int,
    capacity: int,
    threshold_pct: float,
    min_qty: int,
    next_expiry: date | None,
    near_expiry_days: int,
    today: date,
) -> str:
    """empty, low (the alert engine's refill rule), near_expiry (a batch with stock expires within the
    policy's days, as the engine's near_expiry alert) or ok."""
    if stock <= 0:
        return "empty"
    if needs_refill(stock, capacity, threshold_pct, min_qty):
        return "low"
    if next_expiry is not None and is_near_expiry(next_expiry, today, near_expiry_days):
        return "near_expiry"
    return "ok"


def with_conditions(shelves: pd.DataFrame, today: date) -> pd.DataFrame:
    """Adds `condition` to queries.shelf_status rows; a shelf no policy covers gets the engine's
    start-up defaults."""
    defaults = ShelfPolicy()
    out = shelves.copy()
    for column in ("threshold_pct", "target_pct", "min_qty", "near_expiry_days"):
        out[column] = out[column].astype(float).fillna(getattr(defaults, column))
    expiry = out["next_expiry"].astype(object).where(out["next_expiry"].notna(), None)
    out["condition"] = [
        condition(int(s), int(c), t, int(m), e, int(n), today)
        for s, c, t, m, e, n in zip(
            out["current_stock"],
            out["capacity"],
            out["threshold_pct"],
            out["min_qty"],
            expiry,
            out["near_expiry_days"],
            strict=True,
        )
    ]
    return out


def worst(conditions: pd.Series) -> str:
    present = set(conditions)
    return next((c for c in CONDITIONS if c in present), "ok")


def area_summary(shelves: pd.DataFrame) -> pd.DataFrame:
    """Per aisle: its worst condition and how many shelves are in each."""
    rows = []
    for aisle, group in shelves.groupby("aisle"):
        counts = group["condition"].value_counts()
        rows.append(
            {
                "aisle": int(aisle),
                "worst": worst(group["condition"]),
                **{c: int(counts.get(c, 0)) for c in CONDITIONS},
            }
        )
    return pd.DataFrame(rows, columns=["aisle", "worst", *CONDITIONS])


def shelf_positions(layout: Layout, shelves: pd.DataFrame) -> pd.DataFrame:
    """x, y for each shelf: a grid of cells inside its aisle's area, in shelf_id order."""
    xs, ys = {}, {}
    for aisle, group in shelves.sort_values("shelf_id").groupby("aisle"):
        area = layout.area_of(int(aisle))
        if area is None:
            continue
        n = len(group)
        cols = max(1, round(math.sqrt(n * area.width / area.height)))
        rows = math.ceil(n / cols)
        for i, shelf in enumerate(group["shelf_id"]):
            row, col = divmod(i, cols)
            xs[shelf] = area.x + (col + 0.5) * area.width / cols
            ys[shelf] = area.y + area.height - (row + 0.5) * area.height / rows
    out = shelves.copy()
    out["x"] = out["shelf_id"].map(xs)
    out["y"] = out["shelf_id"].map(ys)
    return out


def _area_hover(area: Area, group: pd.DataFrame, summary: dict) -> str:
    counts = ", ".join(f"{summary[c]} {LABELS[c]}" for c in CONDITIONS if summary.get(c))
    order = {c: i for i, c in enumerate(CONDITIONS)}
    listed = group.assign(rank=group["condition"].map(order)).sort_values(["rank", "shelf_id"])
    lines = [
        f"{r.shelf_id}: {int(r.current_stock)}/{int(r.capacity)} {LABELS[r.condition]}"
        for r in listed.head(HOVER_SHELVES).itertuples()
    ]
    more = len(group) - len(lines)
    tail = [f"... and {more} more"] if more > 0 else []
    return "<br>".join([f"<b>Aisle {area.aisle}: {area.name}</b>", counts, *lines, *tail])


def figure(
    layout: Layout,
    shelves: pd.DataFrame,
    weighed: set[str] = frozenset(),
    alerted: set[str] = frozenset(),
) -> go.Figure:
    """The floor plan: areas coloured by their worst shelf, a marker per shelf, recently weighed
    shelves ringed in green, shelves with an open alert crossed in red. Points carry the shelf_id
    (or `aisle:N` for an area) as customdata, for selection."""
    placed = shelf_positions(layout, shelves).dropna(subset=["x"])
    summaries = {r["aisle"]: r for r in area_summary(shelves).to_dict("records")}
    fig = go.Figure()
    for feature in layout.features:
        fig.add_shape(
            type="rect", x0=feature.x, y0=feature.y, x1=feature.x + feature.width, y1=feature.y + feature.height,
            line={"color": "#999", "dash": "dot"}, fillcolor="#f4f4f4", layer="below",
        )  # fmt: skip
        fig.add_annotation(x=feature.centre[0], y=feature.centre[1], text=feature.name, showarrow=False)
    centres_x, centres_y, hovers, ids = [], [], [], []
    for area in layout.areas:
        summary = summaries.get(area.aisle, {"worst": "ok"})
        fig.add_shape(
            type="rect", x0=area.x, y0=area.y, x1=area.x + area.width, y1=area.y + area.height,
            line={"color": "#555", "width": 1}, fillcolor=COLOURS[summary["worst"]], opacity=0.85, layer="below",
        )  # fmt: skip
        group = placed[placed["aisle"] == area.aisle]
        centres_x.append(area.centre[0])
        centres_y.append(area.y + area.height + 0.8)
        hovers.append(_area_hover(area, group, summary))
        ids.append(f"aisle:{area.aisle}")
    fig.add_trace(
        go.Scatter(
            x=centres_x, y=centres_y, mode="text", text=[str(a.aisle) for a in layout.areas],
            hovertext=hovers, hoverinfo="text", customdata=ids, name="aisles", showlegend=False,
        )
    )  # fmt: skip
    for cond in CONDITIONS:
        part = placed[placed["condition"] == cond]
        fig.add_trace(
            go.Scatter(
                x=part["x"], y=part["y"], mode="markers", name=LABELS[cond],
                marker={"size": 7, "color": COLOURS[cond], "line": {"color": "#333", "width": 0.5}},
                customdata=part["shelf_id"],
                hovertext=[
                    f"<b>{r.shelf_id}</b> ({r.item_subcategory})<br>stock {int(r.current_stock)}/{int(r.capacity)}"
                    f"<br>{LABELS[r.condition]}"
                    for r in part.itertuples()
                ],
                hoverinfo="text",
            )
        )  # fmt: skip
    for label, members, marker in (
        ("weighed just now", weighed, {"size": 13, "color": "rgba(0,0,0,0)", "line": {"color": WEIGHT_COLOUR, "width": 2}}),
        ("open alert", alerted, {"size": 9, "color": ALERT_COLOUR, "symbol": "x-thin", "line": {"color": ALERT_COLOUR, "width": 2}}),
    ):  # fmt: skip
        part = placed[placed["shelf_id"].isin(members)]
        fig.add_trace(
            go.Scatter(
                x=part["x"], y=part["y"], mode="markers", name=label, marker=marker,
                customdata=part["shelf_id"], hovertext=part["shelf_id"], hoverinfo="text",
            )
        )  # fmt: skip
    fig.update_xaxes(range=[-1, layout.width + 1], visible=False, fixedrange=True)
    fig.update_yaxes(range=[-1, layout.height + 3], visible=False, fixedrange=True, scaleanchor="x")
    fig.update_layout(
        height=560, margin={"l": 0, "r": 0, "t": 10, "b": 0}, plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.02}, clickmode="event+select", dragmode=False,
    )  # fmt: skip
    return fig
