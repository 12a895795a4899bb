-- The five schemas of Smart Shelf. Re-runnable: every statement is IF NOT EXISTS.
--   ref        immutable snapshots loaded from data/db_csv
--   config     policies and metadata (sourced to Kafka by Kafka Connect)
--   state      mirrors of the compacted state topics (sunk by Kafka Connect)
--   ops        operational records: alerts, plans, orders, receipts, dead letters
--   analytics  discounts, features and model outputs
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS config;
CREATE SCHEMA IF NOT EXISTS state;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS analytics;

-- Records that failed to parse or validate, from any job that writes dead letters to Postgres.
CREATE TABLE IF NOT EXISTS ops.dead_letters (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    raw         TEXT,
    key         TEXT,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dead_letters_source_failed_at ON ops.dead_letters (source, failed_at DESC);
