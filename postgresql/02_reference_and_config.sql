-- ref: the generated store as loaded from data/db_csv (one snapshot per data set, never updated).
-- config: policies and metadata derived from ref; Kafka Connect sources them to compacted topics.

CREATE TABLE IF NOT EXISTS ref.store_inventory (
    shelf_id            TEXT PRIMARY KEY,
    aisle               INT      NOT NULL CHECK (aisle > 0),
    item_weight         INT      NOT NULL CHECK (item_weight > 0),
    shelf_weight        BIGINT   NOT NULL CHECK (shelf_weight >= 0),
    item_category       TEXT     NOT NULL,
    item_subcategory    TEXT     NOT NULL,
    item_visibility     DOUBLE PRECISION NOT NULL CHECK (item_visibility > 0 AND item_visibility <= 1),
    maximum_stock       INT      NOT NULL CHECK (maximum_stock > 0),
    current_stock       INT      NOT NULL CHECK (current_stock >= 0 AND current_stock <= maximum_stock),
    item_price          NUMERIC(10,2) NOT NULL CHECK (item_price >= 0),
    standard_batch_size INT      NOT NULL CHECK (standard_batch_size > 0),
    loaded_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS store_inventory_category ON ref.store_inventory (item_category, item_subcategory);

CREATE TABLE IF NOT EXISTS ref.warehouse_inventory (
    shelf_id            TEXT PRIMARY KEY REFERENCES ref.store_inventory (shelf_id),
    aisle               INT      NOT NULL,
    item_weight         INT      NOT NULL CHECK (item_weight > 0),
    shelf_weight        BIGINT   NOT NULL CHECK (shelf_weight >= 0),
    item_category       TEXT     NOT NULL,
    item_subcategory    TEXT     NOT NULL,
    maximum_stock       INT      NOT NULL CHECK (maximum_stock > 0),
    current_stock       INT      NOT NULL CHECK (current_stock >= 0 AND current_stock <= maximum_stock),
    item_price          NUMERIC(10,2) NOT NULL CHECK (item_price >= 0),
    standard_batch_size INT      NOT NULL CHECK (standard_batch_size > 0),
    loaded_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- the warehouse holds whole supplier batches
    CHECK (maximum_stock % standard_batch_size = 0)
);

CREATE TABLE IF NOT EXISTS ref.store_batches (
    shelf_id                 TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    batch_code               TEXT NOT NULL,
    item_category            TEXT NOT NULL,
    item_subcategory         TEXT NOT NULL,
    standard_batch_size      INT  NOT NULL CHECK (standard_batch_size > 0),
    received_date            DATE NOT NULL,
    expiry_date              DATE NOT NULL CHECK (expiry_date >= received_date),
    batch_quantity_total     INT  NOT NULL CHECK (batch_quantity_total >= 0),
    batch_quantity_store     INT  NOT NULL CHECK (batch_quantity_store >= 0),
    batch_quantity_warehouse INT  NOT NULL CHECK (batch_quantity_warehouse >= 0),
    location                 TEXT NOT NULL CHECK (location = 'in-store'),
    loaded_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shelf_id, batch_code)
);
CREATE UNIQUE INDEX IF NOT EXISTS store_batches_code ON ref.store_batches (batch_code);

CREATE TABLE IF NOT EXISTS ref.warehouse_batches (
    shelf_id                 TEXT NOT NULL REFERENCES ref.warehouse_inventory (shelf_id),
    batch_code               TEXT NOT NULL,
    item_category            TEXT NOT NULL,
    item_subcategory         TEXT NOT NULL,
    standard_batch_size      INT  NOT NULL CHECK (standard_batch_size > 0),
    received_date            DATE NOT NULL,
    expiry_date              DATE NOT NULL CHECK (expiry_date >= received_date),
    batch_quantity_total     INT  NOT NULL CHECK (batch_quantity_total >= 0),
    batch_quantity_store     INT  NOT NULL CHECK (batch_quantity_store >= 0),
    batch_quantity_warehouse INT  NOT NULL CHECK (batch_quantity_warehouse >= 0),
    location                 TEXT NOT NULL CHECK (location = 'warehouse'),
    loaded_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (shelf_id, batch_code)
);
CREATE UNIQUE INDEX IF NOT EXISTS warehouse_batches_code ON ref.warehouse_batches (batch_code);

-- Policies: a row with shelf_id NULL is the global default; category scopes are optional.
CREATE TABLE IF NOT EXISTS config.shelf_policies (
    policy_id        UUID PRIMARY KEY,
    shelf_id         TEXT REFERENCES ref.store_inventory (shelf_id),
    item_category    TEXT,
    item_subcategory TEXT,
    threshold_pct    NUMERIC(5,2) NOT NULL CHECK (threshold_pct BETWEEN 0 AND 100),
    target_pct       NUMERIC(5,2) NOT NULL DEFAULT 80 CHECK (target_pct BETWEEN 0 AND 100),
    min_qty          INT NOT NULL DEFAULT 1 CHECK (min_qty >= 0),
    near_expiry_days INT NOT NULL DEFAULT 2 CHECK (near_expiry_days >= 0),
    active           BOOLEAN NOT NULL DEFAULT true,
    notes            TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (target_pct >= threshold_pct)
);
CREATE UNIQUE INDEX IF NOT EXISTS shelf_policies_scope
    ON config.shelf_policies (coalesce(shelf_id, ''), coalesce(item_category, ''), coalesce(item_subcategory, ''))
    WHERE active;

CREATE TABLE IF NOT EXISTS config.wh_policies (
    policy_id         UUID PRIMARY KEY,
    shelf_id          TEXT REFERENCES ref.warehouse_inventory (shelf_id),
    item_category     TEXT,
    item_subcategory  TEXT,
    reorder_point_qty INT NOT NULL CHECK (reorder_point_qty >= 0),
    target_pct        NUMERIC(5,2) NOT NULL DEFAULT 100 CHECK (target_pct BETWEEN 0 AND 100),
    active            BOOLEAN NOT NULL DEFAULT true,
    notes             TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS wh_policies_scope
    ON config.wh_policies (coalesce(shelf_id, ''), coalesce(item_category, ''), coalesce(item_subcategory, ''))
    WHERE active;

CREATE TABLE IF NOT EXISTS config.shelf_profiles (
    shelf_id    TEXT PRIMARY KEY REFERENCES ref.store_inventory (shelf_id),
    item_weight NUMERIC(10,3) NOT NULL CHECK (item_weight > 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS config.batch_catalog (
    batch_code          TEXT PRIMARY KEY,
    shelf_id            TEXT NOT NULL REFERENCES ref.store_inventory (shelf_id),
    received_date       DATE NOT NULL,
    expiry_date         DATE NOT NULL,
    standard_batch_size INT  NOT NULL CHECK (standard_batch_size > 0),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS batch_catalog_shelf ON config.batch_catalog (shelf_id, expiry_date);
