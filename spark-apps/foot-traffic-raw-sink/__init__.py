"""foot-traffic-raw-sink: foot_traffic and foot_traffic_realistic -> their Delta raw tables."""
