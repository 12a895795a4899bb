"""The store as the simulators see it: catalogue, prices and discounts (shared by the producers)."""
