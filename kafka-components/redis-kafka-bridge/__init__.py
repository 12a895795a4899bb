"""redis-kafka-bridge: forwards Redis streams to Kafka topics, acknowledging only what Kafka stored."""
