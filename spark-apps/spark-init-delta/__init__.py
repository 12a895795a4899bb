"""spark-init-delta: creates every Delta table of the lake (idempotent)."""
