"""Forecast accuracy measures, as the M5 competition and the forecasting literature define them. Pure.

Scaled errors divide by what a naive forecast achieved on the same series before the origin, so a
shelf selling 30 a day and one selling 1 count alike; the scale uses only the training past.
"""

from __future__ import annotations

import numpy as np


def rmsse(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> float:
    """Root mean squared scaled error of one series: the forecast's MSE over the one-step naive
    forecast's MSE on `history`, counted from the first day with demand (M5's "actively sold"
    periods). NaN when the scale is zero (a series that never moved)."""
    active = history[np.argmax(history > 0) :] if np.any(history > 0) else history[:0]
    if len(active) < 2:
        return float("nan")
    scale = np.mean(np.diff(active) ** 2)
    if scale == 0:
        return float("nan")
    return float(np.sqrt(np.mean((actual - forecast) ** 2) / scale))


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int = 7) -> float:
    """Mean absolute scaled error: the forecast's MAE over the seasonal naive's in-sample MAE."""
    if len(history) <= season:
        return float("nan")
    scale = np.mean(np.abs(history[season:] - history[:-season]))
    if scale == 0:
        return float("nan")
    return float(np.mean(np.abs(actual - forecast)) / scale)


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |error| / sum actual."""
    return float(np.sum(np.abs(actual - forecast)) / max(np.sum(actual), 1e-9))


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """sum error / sum actual: positive when the forecast runs high."""
    return float(np.sum(forecast - actual) / max(np.sum(actual), 1e-9))


def pinball(actual: np.ndarray, forecast: np.ndarray, tau: float) -> float:
    """Mean quantile loss at level tau: under-forecasts cost tau, over-forecasts 1 - tau."""
    diff = actual - forecast
    return float(np.mean(np.maximum(tau * diff, (tau - 1) * diff)))
