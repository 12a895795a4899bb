"""Fast-forward: days of the store simulated in one process by the services' own rules."""
