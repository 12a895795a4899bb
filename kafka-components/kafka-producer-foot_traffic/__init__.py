"""kafka-producer-foot_traffic: customers arriving and leaving, written to Redis streams."""
