"""Spark Structured Streaming jobs: one folder per job, each runnable alone or all in one application."""
