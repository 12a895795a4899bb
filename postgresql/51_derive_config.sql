-- Derive config.* from ref.* (runs after the ref CSVs are loaded). Re-runnable: rows that exist are
-- left as they are, so a policy someone tuned is not overwritten. Ids are derived from their scope
-- (md5 -> uuid), so the same shelf always gets the same policy_id.

-- The global shelf policy (reference: alert below 30 % of capacity, refill to 80 %), then one per shelf.
INSERT INTO config.shelf_policies (policy_id, shelf_id, threshold_pct, target_pct, min_qty, near_expiry_days, notes)
VALUES (md5('shelf_policy:__GLOBAL__')::uuid, NULL, 30.00, 80.00, 1, 2, 'global default')
ON CONFLICT (policy_id) DO NOTHING;

INSERT INTO config.shelf_policies (policy_id, shelf_id, item_category, item_subcategory, threshold_pct, target_pct, min_qty)
SELECT md5('shelf_policy:' || s.shelf_id)::uuid, s.shelf_id, s.item_category, s.item_subcategory, 30.00, 80.00, 1
FROM ref.store_inventory s
ON CONFLICT (policy_id) DO NOTHING;

-- Warehouse reorder point: 5 % of capacity, at least one unit.
INSERT INTO config.wh_policies (policy_id, shelf_id, item_category, item_subcategory, reorder_point_qty)
SELECT md5('wh_policy:' || w.shelf_id)::uuid, w.shelf_id, w.item_category, w.item_subcategory,
       GREATEST(1, (w.maximum_stock * 0.05)::int)
FROM ref.warehouse_inventory w
ON CONFLICT (policy_id) DO NOTHING;

INSERT INTO config.shelf_profiles (shelf_id, item_weight)
SELECT shelf_id, item_weight FROM ref.store_inventory
ON CONFLICT (shelf_id) DO NOTHING;

INSERT INTO config.batch_catalog (batch_code, shelf_id, received_date, expiry_date, standard_batch_size)
SELECT batch_code, shelf_id, received_date, expiry_date, standard_batch_size FROM ref.store_batches
UNION ALL
SELECT batch_code, shelf_id, received_date, expiry_date, standard_batch_size FROM ref.warehouse_batches
ON CONFLICT (batch_code) DO NOTHING;
