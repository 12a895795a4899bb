"""kafka-producer-shelf: customers' pickups and putbacks on the smart shelves, written to Redis."""
