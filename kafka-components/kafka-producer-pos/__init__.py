"""kafka-producer-pos: one checkout per customer, from their cart, to Kafka pos_transactions."""
