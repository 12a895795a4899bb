-- Stock as the store knows it now: the ledger's row (state.*, sunk from the state topics) where one
-- exists, the loaded snapshot (ref.*) for what no event has touched yet. The dashboard reads these.
DROP VIEW IF EXISTS state.v_shelf_stock;
CREATE VIEW state.v_shelf_stock AS
SELECT i.shelf_id, i.aisle, i.item_category, i.item_subcategory, i.maximum_stock AS capacity,
       coalesce(s.current_stock, i.current_stock) AS current_stock, i.item_price, s.last_update_ts
FROM ref.store_inventory i
LEFT JOIN state.shelf_state s USING (shelf_id);

DROP VIEW IF EXISTS state.v_wh_stock;
CREATE VIEW state.v_wh_stock AS
SELECT w.shelf_id, w.item_category, w.item_subcategory, w.maximum_stock AS capacity,
       coalesce(s.wh_current_stock, w.current_stock) AS wh_current_stock, w.standard_batch_size,
       s.last_update_ts
FROM ref.warehouse_inventory w
LEFT JOIN state.wh_state s USING (shelf_id);

DROP VIEW IF EXISTS state.v_shelf_batches;
CREATE VIEW state.v_shelf_batches AS
SELECT coalesce(s.shelf_id, r.shelf_id) AS shelf_id, coalesce(s.batch_code, r.batch_code) AS batch_code,
       coalesce(s.received_date, r.received_date) AS received_date,
       coalesce(s.expiry_date, r.expiry_date) AS expiry_date,
       coalesce(s.batch_quantity_store, r.batch_quantity_store) AS batch_quantity_store,
       s.last_update_ts
FROM ref.store_batches r
FULL JOIN state.shelf_batch_state s USING (shelf_id, batch_code);

DROP VIEW IF EXISTS state.v_wh_batches;
CREATE VIEW state.v_wh_batches AS
SELECT coalesce(s.shelf_id, r.shelf_id) AS shelf_id, coalesce(s.batch_code, r.batch_code) AS batch_code,
       coalesce(s.received_date, r.received_date) AS received_date,
       coalesce(s.expiry_date, r.expiry_date) AS expiry_date,
       coalesce(s.batch_quantity_warehouse, r.batch_quantity_warehouse) AS batch_quantity_warehouse,
       s.last_update_ts
FROM ref.warehouse_batches r
FULL JOIN state.wh_batch_state s USING (shelf_id, batch_code);
