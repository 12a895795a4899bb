"""Deployables around Kafka: topic set-up, producers, the Redis -> Kafka bridge, Connect set-up."""
