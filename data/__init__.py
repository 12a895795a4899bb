"""store_data: the store data generator: catalogue, store and warehouse inventory, batches, weekly discounts."""
