"""What every page shares: the refresh interval of its live parts, the header with simulated time,
and how a missing source is shown (a message saying what to start, never a traceback)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data

REFRESH = timedelta(milliseconds=data.settings().dash_autorefresh_ms)


@contextlib.contextmanager
def shown_if_missing() -> Iterator[None]:
    """Runs a block; a missing source becomes a warning with its message, the rest of the page goes on."""
    try:
        yield
    except data.Unavailable as exc:
        st.warning(str(exc), icon=":material/cloud_off:")


def now_or_stop():
    """Simulated now; without it (Redis down, clock not started) the page says so and stops here."""
    try:
        return data.now()
    except data.Unavailable as exc:
        st.warning(str(exc), icon=":material/cloud_off:")
        st.stop()


def sim_clock_caption() -> None:
    with shown_if_missing():
        now = data.now()
        st.caption(f"Simulated time **{now:%a %d %b %Y, %H:%M}** UTC · {data.speed():g}x real time")


def table(frame: pd.DataFrame, empty: str, **kwargs) -> None:
    """A dataframe, or a line saying why there is nothing to show."""
    if frame.empty:
        st.info(empty)
    else:
        st.dataframe(frame, hide_index=True, use_container_width=True, **kwargs)


def levels_chart(frame: pd.DataFrame, *, level: str, mark: str, mark_name: str, **bar) -> None:
    """Bars of `level` per product with a tick at `mark` (a threshold, a reorder point) on each."""
    fig = px.bar(frame, x="shelf_id", y=level, **bar)
    fig.add_scatter(
        x=frame["shelf_id"], y=frame[mark], mode="markers", name=mark_name,
        marker={"symbol": "line-ew-open", "size": 14, "color": "#333"},
    )  # fmt: skip
    fig.update_layout(height=350, margin={"t": 40, "b": 0})
    st.plotly_chart(fig, use_container_width=True)
