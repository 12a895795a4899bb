"""The benchmark figures as one object each (name, value, unit, the reference measured in the same run,
the aim), so two runs of `make bench` compare figure by figure.

`figures(details)` reads the nested results `make bench` collects (docs/benchmarks.json's "details");
a section missing from them (a bench not run) gives no figures. `python -m tests.bench.figures`
rewrites the figures of docs/benchmarks.json from its details, after a figure measured by hand was
added there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from smart_shelf.paths import REPO_ROOT

JSON_PATH = REPO_ROOT / "docs" / "benchmarks.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    reference: str | None = None  # what the value is measured beside, in the same run
    reference_value: float | None = None
    aim: str | None = None  # the target, as a reader checks it ("<= 3", ">= 0.8 x reference")
    met: bool | None = None  # None: no aim, or not checkable from this figure alone
    note: str | None = None  # how a figure measured by hand was measured


def _at_most(value: float, limit: float) -> dict:
    return {"aim": f"<= {limit:g}", "met": value <= limit}


def _at_least(value: float, limit: float) -> dict:
    return {"aim": f">= {limit:g}", "met": value >= limit}


def _bridge(d: dict) -> Iterator[Figure]:
    ceiling = d["python_producer_per_s"]
    yield Figure(
        "bridge_records_per_s",
        d["bridge_per_s"],
        "records/s",
        "kafka-python producer alone, idempotent, acks=all",
        ceiling,
        aim=">= 0.8 x reference",
        met=d["bridge_per_s"] >= 0.8 * ceiling,
    )
    yield Figure(
        "kafka_python_producer_records_per_s",
        ceiling,
        "records/s",
        "Kafka's ProducerPerformance (Java), same records and settings",
        d["kafka_producer_performance_per_s"],
    )
    yield Figure("redis_xadd_records_per_s", d["xadd_per_s"], "records/s")


def _ledgers(d: dict) -> Iterator[Figure]:
    reference = d.get("noop_events_per_s")
    yield Figure(
        "shelf_state_backlog_events_per_s",
        d["events_per_s"],
        "events/s",
        "Spark reading the same backlog from Kafka into the noop sink" if reference else None,
        reference,
        **_at_least(d["events_per_s"], 20_000),
    )
    for rate, delays in d.items():
        if isinstance(delays, dict) and "p95_s" in delays:
            yield Figure(
                f"shelf_state_delay_p95_at_{rate}_per_s", delays["p95_s"], "s", **_at_most(delays["p95_s"], 3)
            )
            yield Figure(f"shelf_state_delay_p50_at_{rate}_per_s", delays["p50_s"], "s")
    yield Figure("spark_ledgers_rss", d["rss_mib"], "MiB", **_at_most(d["rss_mib"], 1536))


def _connect(d: dict) -> Iterator[Figure]:
    for path, what, reference in (
        ("source", "cdc_policy_update_to_topic", "Kafka produce -> consume, kafka-python"),
        ("sink", "jdbc_sink_record_to_row", "INSERT ... ON CONFLICT through psycopg2"),
    ):
        for q in ("p50_s", "p95_s"):
            yield Figure(f"{what}_{q[:3]}", d[path]["connect"][q], "s", reference, d[path]["reference"][q])


def _history(d: dict) -> Iterator[Figure]:
    floor, run = d["floor"], d["history"]
    yield Figure(
        f"history_{d['days']}_days_seconds",
        run["seconds"],
        "s",
        "the shop floor alone (producers' rules, no operations)",
        floor["seconds"],
        **_at_most(run["seconds"], 300),
    )
    yield Figure("history_peak_rss", run["rss_mib"], "MiB", "the shop floor alone", floor["rss_mib"])
    yield Figure("history_out_of_stock_rate", run["out_of_stock_rate"], "share of shelf-days")


def _forecast(d: dict) -> Iterator[Figure]:
    scores = d["scores"]
    best_ma = min(("moving average 7", "moving average 28"), key=lambda m: scores[m]["rmsse"])
    model = scores["model"]
    yield Figure(
        "forecast_rmsse", model["rmsse"], "", "seasonal naive 7", scores["seasonal naive 7"]["rmsse"],
        aim="<= 0.85 x reference", met=model["rmsse"] <= 0.85 * scores["seasonal naive 7"]["rmsse"],
    )  # fmt: skip
    yield Figure(
        "forecast_rmsse_vs_moving_average", model["rmsse"], "", best_ma, scores[best_ma]["rmsse"],
        aim="<= 0.95 x reference", met=model["rmsse"] <= 0.95 * scores[best_ma]["rmsse"],
    )  # fmt: skip
    best_wape = min(scores[m]["wape"] for m in scores if m != "model")
    yield Figure(
        "forecast_wape", model["wape"], "", "the best baseline", best_wape,
        aim="< reference", met=model["wape"] < best_wape,
    )  # fmt: skip
    yield Figure("forecast_bias", model["bias"], "share", **_at_most(abs(model["bias"]), 0.05))


def _policies(d: dict) -> Iterator[Figure]:
    for seed, run in d.items():
        outcomes = run["outcomes"]
        if "ml" not in outcomes:
            continue
        ml, rule = outcomes["ml"]["stock_out_shelf_days"], outcomes["rule"]["stock_out_shelf_days"]
        yield Figure(
            f"ml_orders_stock_out_shelf_days_seed_{seed}", ml, "shelf-days", "the reorder rule", rule,
            aim="<= 0.7 x reference", met=ml <= 0.7 * rule,
        )  # fmt: skip


def _pace(d: dict) -> Iterator[Figure]:
    shelf, kafka = d["to_shelf_state"], d["to_kafka"]
    yield Figure(
        f"shelf_state_delay_p95_day_at_{d['multiplier']}x",
        shelf["p95_s"],
        "s",
        "written to Redis -> the event's own record on Kafka, p95 (the bridge's share)",
        kafka["p95_s"],
        **_at_most(shelf["p95_s"], 3),
    )
    picked = d["plans_picked_within_2_min"]
    yield Figure(
        f"restock_plans_picked_within_2_sim_min_at_{d['multiplier']}x",
        picked,
        "plans",
        "restock plans raised that day",
        d["plans"],
        aim="every plan",
        met=picked == d["plans"],
    )
    yield Figure(
        f"falling_behind_warnings_day_at_{d['multiplier']}x", d["falling_behind_warnings"], "warnings"
    )
    clean = d["reconcile_ok"] and d["report_ok"]
    yield Figure("day_reconcile_and_report_clean", float(clean), "1 = clean", aim="clean", met=clean)
    if "start_s" in d:  # measured since 2026-12-07
        yield Figure("pipeline_start_to_every_query_seconds", d["start_s"], "s", **_at_most(d["start_s"], 60))
        spark = d["rss_mib"]["per_service"].get("spark-apps", 0.0)
        yield Figure(f"spark_apps_peak_rss_day_at_{d['multiplier']}x", spark, "MiB", **_at_most(spark, 1536))
        stack = d["rss_mib"]["stack"]
        yield Figure(
            f"native_stack_peak_rss_day_at_{d['multiplier']}x", stack, "MiB", **_at_most(stack, 4096)
        )


def _services(d: dict) -> Iterator[Figure]:
    for name, rss in d.items():
        yield Figure(f"rss_{name}", rss, "MiB")


SECTIONS: dict[str, Callable[[dict], Iterator[Figure]]] = {
    "bridge": _bridge,
    "ledgers": _ledgers,
    "kafka_connect": _connect,
    "history": _history,
    "forecast": _forecast,
    "ordering_policies": _policies,
    "pace": _pace,
    "rss_mib": _services,
}


def figures(details: dict) -> list[Figure]:
    found = [f for key, section in SECTIONS.items() if key in details for f in section(details[key])]
    if "startup_seconds" in details:
        found.append(Figure("infrastructure_start_seconds", details["startup_seconds"], "s"))
    for name, figure in details.get("by_hand", {}).items():
        found.append(Figure(name=name, **figure))
    return found


def document(details: dict) -> dict:
    return {
        "measured_at": details.get("measured_at"),
        "figures": [asdict(f) for f in figures(details)],
        "details": details,
    }


def main() -> None:
    stored = json.loads(JSON_PATH.read_text())
    details = stored.get("details", stored)
    JSON_PATH.write_text(json.dumps(document(details), indent=2, default=str) + "\n")
    for f in figures(details):
        reference = (
            f" beside {f.reference_value:,.4g} ({f.reference})" if f.reference_value is not None else ""
        )
        aim = f"  aim {f.aim}: {'met' if f.met else 'not met'}" if f.aim else ""
        print(f"{f.name}: {f.value:,.4g} {f.unit}{reference}{aim}")


if __name__ == "__main__":
    main()
