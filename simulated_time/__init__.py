"""The simulated clock shared by every service (Redis keys sim:now and sim:today)."""
