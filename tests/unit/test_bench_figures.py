from tests.bench.figures import document, figures


def _bridge(bridge_per_s):
    return {
        "bridge_per_s": bridge_per_s,
        "python_producer_per_s": 10_000.0,
        "kafka_producer_performance_per_s": 60_000.0,
        "xadd_per_s": 70_000.0,
    }


def test_the_bridge_is_measured_against_the_producer_it_wraps():
    below, at = figures({"bridge": _bridge(7_999.0)}), figures({"bridge": _bridge(8_000.0)})
    assert below[0].name == "bridge_records_per_s"
    assert below[0].reference_value == 10_000.0
    assert (below[0].met, at[0].met) == (False, True)


def test_every_delay_percentile_becomes_a_figure_and_only_p95_has_an_aim():
    details = {
        "ledgers": {
            "events_per_s": 21_000.0,
            "noop_events_per_s": 90_000.0,
            "500": {"samples": 10, "p50_s": 1.0, "p95_s": 2.5},
            "2000": {"samples": 10, "p50_s": 2.0, "p95_s": 3.5},
            "rss_mib": 1_600.0,
        }
    }
    by_name = {f.name: f for f in figures(details)}
    assert by_name["shelf_state_backlog_events_per_s"].met is True
    assert by_name["shelf_state_backlog_events_per_s"].reference_value == 90_000.0
    assert by_name["shelf_state_delay_p95_at_500_per_s"].met is True
    assert by_name["shelf_state_delay_p95_at_2000_per_s"].met is False
    assert by_name["shelf_state_delay_p50_at_2000_per_s"].aim is None
    assert by_name["spark_ledgers_rss"].met is False


def test_sections_not_measured_give_no_figures_and_hand_figures_are_kept():
    details = {"by_hand": {"pace_720x_p95_delay": {"value": 2.0, "unit": "s", "aim": "<= 3", "met": True}}}
    doc = document(details)
    assert [f["name"] for f in doc["figures"]] == ["pace_720x_p95_delay"]
    assert doc["details"] is details


def _pace(p95_s, picked_within, plans, reconcile_ok=True):
    return {
        "multiplier": 720,
        "to_shelf_state": {"samples": 100, "p50_s": 1.0, "p95_s": p95_s, "max_s": 9.0},
        "to_kafka": {"samples": 100, "p50_s": 0.1, "p95_s": 0.4, "max_s": 1.0},
        "plans": plans,
        "plans_issued": plans,
        "plans_picked_within_2_min": picked_within,
        "falling_behind_warnings": 4,
        "reconcile_ok": reconcile_ok,
        "report_ok": True,
    }


def test_a_day_keeps_pace_only_with_every_plan_picked_in_time_and_a_clean_reconcile():
    kept = {f.name: f for f in figures({"pace": _pace(2.9, 30, 30)})}
    assert kept["shelf_state_delay_p95_day_at_720x"].met is True
    assert kept["shelf_state_delay_p95_day_at_720x"].reference_value == 0.4
    assert kept["restock_plans_picked_within_2_sim_min_at_720x"].met is True
    assert kept["day_reconcile_and_report_clean"].met is True
    behind = {f.name: f for f in figures({"pace": _pace(3.1, 29, 30, reconcile_ok=False)})}
    assert behind["shelf_state_delay_p95_day_at_720x"].met is False
    assert behind["restock_plans_picked_within_2_sim_min_at_720x"].met is False
    assert behind["day_reconcile_and_report_clean"].met is False


def test_the_day_s_start_and_memory_are_figures_with_their_aims():
    day = {
        **_pace(2.0, 30, 30),
        "start_s": 61.0,
        "rss_mib": {"per_service": {"spark-apps": 1500.0, "kafka": 700.0}, "stack": 4200.0},
    }
    found = {f.name: f for f in figures({"pace": day})}
    assert (found["pipeline_start_to_every_query_seconds"].value, found["pipeline_start_to_every_query_seconds"].met) == (61.0, False)  # fmt: skip
    assert (found["spark_apps_peak_rss_day_at_720x"].value, found["spark_apps_peak_rss_day_at_720x"].met) == (1500.0, True)  # fmt: skip
    assert (found["native_stack_peak_rss_day_at_720x"].value, found["native_stack_peak_rss_day_at_720x"].met) == (4200.0, False)  # fmt: skip
    assert "pipeline_start_to_every_query_seconds" not in {
        f.name for f in figures({"pace": _pace(2.0, 30, 30)})
    }
