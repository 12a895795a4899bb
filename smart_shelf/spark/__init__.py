"""The Spark runtime every job in spark-apps/ shares.

- `session`: the one SparkSession builder, checkpoint and table paths, triggers;
- `class_archive`: the Spark JVMs' class data sharing archive, written by `make setup`;
- `app`: several jobs in one Spark application, restarted from their checkpoints when a query fails;
- `io`: Kafka in, contract validation, deduplication, idempotent Delta appends, Kafka and Postgres out;
- `schemas`: StructTypes and validation derived from the contracts;
- `raw_sink`: a topic to its raw table, refused records to quarantine and the dead letters;
- `ledger`, `ledger_store`: ledgers applied on the driver per micro-batch and saved with it,
  published to compacted topics and mirrored into Delta and Postgres;
- `ops`: several topics read as one stream of readings per shelf, for the operations ledgers;
- `clock`: jobs driven by the simulated clock, and the record of their runs;
- `delta_io`, `ops_tables`: once-per-batch Delta writes (MERGE with txn versions), operational rows
  as contract objects;
- `query_progress`: each query's latest micro-batch, published to Redis for the dashboard.

Importing this package starts nothing and imports no pyspark; the modules that need it import it.
"""
