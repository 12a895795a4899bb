"""Kafka Connect: the connectors that keep PostgreSQL and Kafka in step (configs), and the REST client."""
