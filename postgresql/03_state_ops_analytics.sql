-- state: mirrors of the compacted state topics, column for column (one writer: Kafka Connect's JDBC sink).
-- ops: alerts, plans, warehouse movements, supplier orders and receipts, POS transactions.
-- analytics: discounts, daily features and the model registry.

DO $$ BEGIN
    CREATE TYPE ops.plan_status AS ENUM ('pending', 'issued', 'completed', 'partially_completed', 'canceled');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
    CREATE TYPE ops.alert_status AS ENUM ('open', 'acknowledged', 'resolved');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS state.shelf_state (
    shelf_id       TEXT PRIMARY KEY REFERENCES ref.store_inventory (shelf_id),
    current_stock  INT NOT NULL CHECK (current_stock >= 0),
    item_weight    DOUBLE PRECISION,
    shelf_weight   DOUBLE PRECISION,
    last_update_ts TIMESTAMPTZ NOT NULL,
    restocked_units INT CHECK (restocked_units >= 0)
);
ALTER TABLE state.shelf_state ADD COLUMN IF NOT EXISTS restocked_units INT CHECK (restocked_units >= 0);
CREATE TABLE IF NOT EXISTS state.wh_state (
    shelf_id         TEXT PRIMARY KEY REFERENCES ref.warehouse_inventory (shelf_id),
    wh_current_stock INT NOT NULL CHECK (wh_current_stock >= 0),
    last_update_ts   TIMESTAMPTZ NOT NULL,
    received_units   INT CHECK (received_units >= 0)
);
ALTER TABLE state.wh_state ADD COLUMN IF NOT EXISTS received_units INT CHECK (received_units >= 0);
CREATE TABLE IF NOT EXISTS state.shelf_batch_state (
    shelf_id             TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    batch_code           TEXT NOT NULL,
    received_date        DATE NOT NULL,
    expiry_date          DATE NOT NULL,
    batch_quantity_store INT  NOT NULL CHECK (batch_quantity_store >= 0),
    last_update_ts       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shelf_id, batch_code)
);
CREATE INDEX IF NOT EXISTS shelf_batch_state_expiry ON state.shelf_batch_state (expiry_date) WHERE batch_quantity_store > 0;
CREATE TABLE IF NOT EXISTS state.wh_batch_state (
    shelf_id                 TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    batch_code               TEXT NOT NULL,
    received_date            DATE NOT NULL,
    expiry_date              DATE NOT NULL,
    batch_quantity_warehouse INT  NOT NULL CHECK (batch_quantity_warehouse >= 0),
    batch_quantity_store     INT  NOT NULL DEFAULT 0 CHECK (batch_quantity_store >= 0),
    last_update_ts           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shelf_id, batch_code)
);
CREATE INDEX IF NOT EXISTS wh_batch_state_expiry ON state.wh_batch_state (expiry_date) WHERE batch_quantity_warehouse > 0;

-- Alerts: one row per alert, its status moving open -> acknowledged -> resolved.
CREATE TABLE IF NOT EXISTS ops.alerts (
    alert_id      TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL,
    shelf_id      TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    location      TEXT NOT NULL CHECK (location IN ('store', 'warehouse')),
    status        ops.alert_status NOT NULL DEFAULT 'open',
    current_stock INT,
    min_qty       INT,
    threshold_pct NUMERIC(5,2),
    stock_pct     NUMERIC(6,2),
    suggested_qty INT CHECK (suggested_qty >= 0),
    batch_code    TEXT,
    quantity      INT,
    message       TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE ops.alerts ADD COLUMN IF NOT EXISTS quantity INT;
CREATE INDEX IF NOT EXISTS alerts_status_created ON ops.alerts (status, created_at DESC);
CREATE INDEX IF NOT EXISTS alerts_shelf_created ON ops.alerts (shelf_id, created_at DESC);
-- At most one open alert per shelf, location and type, for the alerts on a condition that lasts
-- (contracts.CONDITION_ALERTS); incidents (sensor_mismatch, stock_discrepancy, ...) may be many.
DROP INDEX IF EXISTS ops.alerts_one_open;
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open_condition ON ops.alerts (shelf_id, location, event_type)
    WHERE status = 'open' AND event_type IN ('refill_request', 'near_expiry', 'supplier_request');

CREATE TABLE IF NOT EXISTS ops.shelf_restock_plan (
    plan_id       TEXT PRIMARY KEY,
    shelf_id      TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    suggested_qty INT  NOT NULL CHECK (suggested_qty >= 0),
    status        ops.plan_status NOT NULL DEFAULT 'pending',
    alert_id      TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    picked_qty    INT CHECK (picked_qty >= 0)
);
ALTER TABLE ops.shelf_restock_plan ADD COLUMN IF NOT EXISTS picked_qty INT CHECK (picked_qty >= 0);
CREATE INDEX IF NOT EXISTS shelf_restock_plan_status ON ops.shelf_restock_plan (status, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS shelf_restock_plan_one_open
    ON ops.shelf_restock_plan (shelf_id) WHERE status IN ('pending', 'issued');

CREATE TABLE IF NOT EXISTS ops.wh_supplier_plan (
    supplier_plan_id    TEXT PRIMARY KEY,
    shelf_id            TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    suggested_qty       INT  NOT NULL CHECK (suggested_qty >= 0),
    standard_batch_size INT CHECK (standard_batch_size > 0),
    status              ops.plan_status NOT NULL DEFAULT 'pending',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    order_id            TEXT,
    received_qty        INT CHECK (received_qty >= 0)
);
ALTER TABLE ops.wh_supplier_plan ADD COLUMN IF NOT EXISTS order_id TEXT;
ALTER TABLE ops.wh_supplier_plan ADD COLUMN IF NOT EXISTS received_qty INT CHECK (received_qty >= 0);
CREATE INDEX IF NOT EXISTS wh_supplier_plan_status ON ops.wh_supplier_plan (status, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS wh_supplier_plan_one_open
    ON ops.wh_supplier_plan (shelf_id) WHERE status IN ('pending', 'issued');

-- A plan's status only moves forward: pending -> issued -> completed | partially_completed
-- (canceled from pending or issued). Any writer that tries to move it back is refused.
CREATE OR REPLACE FUNCTION ops.plan_status_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rank_old INT := array_position(ARRAY['pending','issued','completed','partially_completed','canceled']::TEXT[], OLD.status::TEXT);
    rank_new INT := array_position(ARRAY['pending','issued','completed','partially_completed','canceled']::TEXT[], NEW.status::TEXT);
BEGIN
    IF OLD.status::TEXT IN ('completed', 'partially_completed', 'canceled') AND NEW.status IS DISTINCT FROM OLD.status
       OR rank_new < rank_old THEN
        RAISE EXCEPTION 'plan status cannot move from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS shelf_restock_plan_forward ON ops.shelf_restock_plan;
CREATE TRIGGER shelf_restock_plan_forward BEFORE UPDATE OF status ON ops.shelf_restock_plan
    FOR EACH ROW EXECUTE FUNCTION ops.plan_status_forward_only();
DROP TRIGGER IF EXISTS wh_supplier_plan_forward ON ops.wh_supplier_plan;
CREATE TRIGGER wh_supplier_plan_forward BEFORE UPDATE OF status ON ops.wh_supplier_plan
    FOR EACH ROW EXECUTE FUNCTION ops.plan_status_forward_only();

CREATE TABLE IF NOT EXISTS ops.wh_events (
    event_id      TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL CHECK (event_type IN ('wh_in', 'wh_out')),
    shelf_id      TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    batch_code    TEXT NOT NULL,
    qty           INT  NOT NULL CHECK (qty >= 0),
    unit          TEXT NOT NULL DEFAULT 'ea',
    "timestamp"   TIMESTAMPTZ NOT NULL,
    fifo          BOOLEAN NOT NULL DEFAULT true,
    received_date DATE,
    expiry_date   DATE,
    plan_id       TEXT,
    reason        TEXT
);
CREATE INDEX IF NOT EXISTS wh_events_time ON ops.wh_events ("timestamp");
CREATE INDEX IF NOT EXISTS wh_events_shelf_time ON ops.wh_events (shelf_id, "timestamp");
CREATE INDEX IF NOT EXISTS wh_events_plan ON ops.wh_events (plan_id) WHERE plan_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS ops.wh_supplier_orders (
    order_id         TEXT PRIMARY KEY,
    supplier_plan_id TEXT,  -- no foreign key: plans and orders have different writers
    shelf_id         TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    ordered_qty      INT  NOT NULL CHECK (ordered_qty > 0),
    cutoff_ts        TIMESTAMPTZ NOT NULL,
    delivery_date    DATE NOT NULL,
    status           TEXT NOT NULL DEFAULT 'ordered' CHECK (status IN ('ordered', 'delivered', 'partially_delivered')),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
ALTER TABLE ops.wh_supplier_orders DROP CONSTRAINT IF EXISTS wh_supplier_orders_supplier_plan_id_fkey;
CREATE INDEX IF NOT EXISTS wh_supplier_orders_delivery ON ops.wh_supplier_orders (delivery_date, status);

CREATE TABLE IF NOT EXISTS ops.wh_supplier_receipts (
    receipt_id    TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES ops.wh_supplier_orders (order_id),
    shelf_id      TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    batch_code    TEXT NOT NULL,
    received_qty  INT  NOT NULL CHECK (received_qty >= 0),
    received_date DATE NOT NULL,
    expiry_date   DATE NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Refills on their way from the warehouse to the shelf (shelf-refill-bridge's durable timers): one row
-- per wh_out pick, delivered to the shelf at due_at (sim time); delivered_at is set once it was sent.
CREATE TABLE IF NOT EXISTS ops.shelf_refills (
    refill_id     TEXT PRIMARY KEY,  -- the wh_out event_id
    plan_id       TEXT,
    shelf_id      TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    batch_code    TEXT NOT NULL,
    received_date DATE,
    expiry_date   DATE,
    qty           INT  NOT NULL CHECK (qty > 0),
    picked_at     TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    delivered_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS shelf_refills_due ON ops.shelf_refills (due_at) WHERE delivered_at IS NULL;

-- What a fast-forwarded history (make history) hands to the live jobs: one row per job and shelf, the
-- job's per-shelf state as its own dumps() writes it (smart_shelf/handover.py). Empty without history.
CREATE TABLE IF NOT EXISTS ops.handover (
    job       TEXT NOT NULL,
    shelf_id  TEXT NOT NULL,
    state     TEXT NOT NULL,
    handed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job, shelf_id)
);

CREATE TABLE IF NOT EXISTS ops.pos_transactions (
    transaction_id TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    "timestamp"    TIMESTAMPTZ NOT NULL,
    total_items    INT NOT NULL CHECK (total_items >= 0),
    total_amount   NUMERIC(12,2) NOT NULL CHECK (total_amount >= 0)
);
CREATE INDEX IF NOT EXISTS pos_transactions_time ON ops.pos_transactions ("timestamp");
CREATE TABLE IF NOT EXISTS ops.pos_transaction_items (
    transaction_id TEXT NOT NULL REFERENCES ops.pos_transactions (transaction_id) ON DELETE CASCADE,
    line_no        INT  NOT NULL,
    shelf_id       TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    quantity       INT  NOT NULL CHECK (quantity > 0),
    unit_price     NUMERIC(10,2) NOT NULL CHECK (unit_price >= 0),
    discount       NUMERIC(6,4)  NOT NULL CHECK (discount BETWEEN 0 AND 1),
    total_price    NUMERIC(12,2) NOT NULL CHECK (total_price >= 0),
    batch_code     TEXT,
    expiry_date    DATE,
    PRIMARY KEY (transaction_id, line_no)
);

-- Daily near-expiry discounts: NUMERIC(6,4) keeps 0.2533 as 0.2533.
CREATE TABLE IF NOT EXISTS analytics.daily_discounts (
    shelf_id      TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    discount_date DATE NOT NULL,
    discount      NUMERIC(6,4) NOT NULL CHECK (discount BETWEEN 0 AND 1),
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shelf_id, discount_date)
);
CREATE INDEX IF NOT EXISTS daily_discounts_date ON analytics.daily_discounts (discount_date);

-- One shelf's day as a fast-forwarded history closes it (make history; contracts.ShelfDay): the input
-- of the demand features. stock_close = stock_open + refill_units - removed_units - units_taken.
CREATE TABLE IF NOT EXISTS analytics.shelf_daily (
    shelf_id        TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    day             DATE NOT NULL,
    stock_open      INT  NOT NULL CHECK (stock_open >= 0),
    stock_close     INT  NOT NULL CHECK (stock_close >= 0),
    units_taken     INT  NOT NULL,
    units_sold      INT  NOT NULL CHECK (units_sold >= 0),
    revenue         NUMERIC(12,2) NOT NULL,
    lost_sale_units INT  NOT NULL CHECK (lost_sale_units >= 0),
    refill_units    INT  NOT NULL CHECK (refill_units >= 0),
    removed_units   INT  NOT NULL CHECK (removed_units >= 0),
    discount        NUMERIC(6,4) NOT NULL CHECK (discount BETWEEN 0 AND 1),
    PRIMARY KEY (shelf_id, day)
);
CREATE INDEX IF NOT EXISTS shelf_daily_day ON analytics.shelf_daily (day);

-- The demand features as known at a supplier cutoff on feature_date, one row per shelf and target day
-- (contracts.ShelfFeatures; written by make ml over the history and by shelf-daily-features each day).
-- An earlier layout of this table (one row per shelf and day, never written) is replaced.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.tables
               WHERE table_schema = 'analytics' AND table_name = 'shelf_daily_features')
       AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = 'analytics' AND table_name = 'shelf_daily_features'
                         AND column_name = 'target_date') THEN
        DROP TABLE analytics.shelf_daily_features CASCADE;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS analytics.shelf_daily_features (
    shelf_id             TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    feature_date         DATE NOT NULL,
    target_date          DATE NOT NULL,
    step                 SMALLINT NOT NULL,
    weekday              DOUBLE PRECISION NOT NULL,
    weekend              DOUBLE PRECISION NOT NULL,
    weekly_discount      DOUBLE PRECISION NOT NULL,
    discount_change      DOUBLE PRECISION NOT NULL,
    visibility           DOUBLE PRECISION NOT NULL,
    price                DOUBLE PRECISION NOT NULL,
    capacity             DOUBLE PRECISION NOT NULL,
    category             DOUBLE PRECISION NOT NULL,
    last_day             DOUBLE PRECISION NOT NULL,
    same_weekday_1       DOUBLE PRECISION NOT NULL,
    same_weekday_2       DOUBLE PRECISION NOT NULL,
    same_weekday_mean_4  DOUBLE PRECISION NOT NULL,
    mean_7               DOUBLE PRECISION NOT NULL,
    mean_14              DOUBLE PRECISION NOT NULL,
    mean_28              DOUBLE PRECISION NOT NULL,
    std_7                DOUBLE PRECISION NOT NULL,
    std_28               DOUBLE PRECISION NOT NULL,
    lost_share_7         DOUBLE PRECISION NOT NULL,
    fill_ratio           DOUBLE PRECISION NOT NULL,
    traffic_mean_7       DOUBLE PRECISION NOT NULL,
    traffic_same_weekday DOUBLE PRECISION NOT NULL,
    weekday_factor       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (shelf_id, feature_date, target_date)
);
CREATE INDEX IF NOT EXISTS shelf_daily_features_date ON analytics.shelf_daily_features (feature_date);

-- Model registry with its version history (one row per trained version).
CREATE TABLE IF NOT EXISTS analytics.ml_models (
    model_name    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    trained_at    TIMESTAMPTZ NOT NULL,
    metrics_json  JSONB NOT NULL DEFAULT '{}'::jsonb,
    artifact_path TEXT NOT NULL,
    PRIMARY KEY (model_name, model_version)
);
-- What a version was trained on, how it scored beside its baselines, and whether it serves orders.
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS trained_sim_at TIMESTAMPTZ;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS data_from DATE;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS data_to DATE;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS features JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS features_sha256 TEXT;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS params_json JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS artifact_sha256 TEXT;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS champion BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE analytics.ml_models ADD COLUMN IF NOT EXISTS promotion_note TEXT;
CREATE TABLE IF NOT EXISTS analytics.ml_predictions_log (
    model_name        TEXT NOT NULL,
    model_version     TEXT NOT NULL,
    feature_date      DATE NOT NULL,
    shelf_id          TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    predicted_batches NUMERIC(10,3) NOT NULL,
    suggested_qty     INT NOT NULL CHECK (suggested_qty >= 0),
    created_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (model_name, model_version, feature_date, shelf_id),
    FOREIGN KEY (model_name, model_version) REFERENCES analytics.ml_models (model_name, model_version) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ml_predictions_date ON analytics.ml_predictions_log (feature_date, shelf_id);
-- the cutoff a prediction was made for, the forecast demand over the days its order covers, and how many
ALTER TABLE analytics.ml_predictions_log ADD COLUMN IF NOT EXISTS cutoff_ts TIMESTAMPTZ;
ALTER TABLE analytics.ml_predictions_log ADD COLUMN IF NOT EXISTS forecast_units NUMERIC(12,3);
ALTER TABLE analytics.ml_predictions_log ADD COLUMN IF NOT EXISTS covered_days SMALLINT;
-- One row per inference run (per model and cutoff): refused runs carry the reason no order was made.
CREATE TABLE IF NOT EXISTS analytics.ml_inference_runs (
    model_name    TEXT NOT NULL,
    cutoff_ts     TIMESTAMPTZ NOT NULL,
    ran_at        TIMESTAMPTZ NOT NULL,  -- simulated time
    status        TEXT NOT NULL CHECK (status IN ('ok', 'refused')),
    reason        TEXT NOT NULL,
    model_version TEXT,
    order_policy  TEXT NOT NULL CHECK (order_policy IN ('rule', 'ml')),
    shelves       INT NOT NULL DEFAULT 0,
    orders        INT NOT NULL DEFAULT 0,
    units         INT NOT NULL DEFAULT 0,
    seconds       NUMERIC(10,3),
    PRIMARY KEY (model_name, cutoff_ts)
);
