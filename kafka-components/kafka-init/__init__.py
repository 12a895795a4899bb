"""kafka-init: creates every topic of the contracts and aligns the config of existing ones."""
