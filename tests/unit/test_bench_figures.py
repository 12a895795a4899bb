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
