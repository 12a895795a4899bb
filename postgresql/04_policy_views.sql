-- The policy in force for each shelf and each warehouse product: the active row of the narrowest
-- scope that covers it (its own, else its subcategory's, else its category's, else the global one),
-- the latest updated among equals; the policy columns are NULL where no row covers it (the reader's
-- defaults apply). The rule is smart_shelf.store.policies'; the alert engines load their start-up
-- policies from these views and the dashboard reads them (tests check the views against the rule).
DROP VIEW IF EXISTS config.v_shelf_policy_in_force;
CREATE VIEW config.v_shelf_policy_in_force AS
SELECT s.shelf_id, s.item_category, s.item_subcategory, s.maximum_stock,
       p.threshold_pct, p.target_pct, p.min_qty, p.near_expiry_days
FROM ref.store_inventory s
LEFT JOIN LATERAL (
    SELECT * FROM config.shelf_policies p
    WHERE p.active
      AND (p.shelf_id = s.shelf_id OR p.shelf_id IS NULL)
      AND (p.item_category IS NULL OR p.item_category = s.item_category)
      AND (p.item_subcategory IS NULL OR p.item_subcategory = s.item_subcategory)
    ORDER BY (p.shelf_id IS NOT NULL) DESC, (p.item_subcategory IS NOT NULL) DESC,
             (p.item_category IS NOT NULL) DESC, p.updated_at DESC
    LIMIT 1
) p ON true;

-- Without a covering row, a product's reorder point is 5 % of its capacity (at least 1).
DROP VIEW IF EXISTS config.v_wh_policy_in_force;
CREATE VIEW config.v_wh_policy_in_force AS
SELECT w.shelf_id, w.item_category, w.item_subcategory, w.maximum_stock, w.standard_batch_size,
       coalesce(p.reorder_point_qty, greatest(1, (w.maximum_stock * 0.05)::int)) AS reorder_point_qty,
       coalesce(p.target_pct, 100) AS target_pct
FROM ref.warehouse_inventory w
LEFT JOIN LATERAL (
    SELECT * FROM config.wh_policies p
    WHERE p.active
      AND (p.shelf_id = w.shelf_id OR p.shelf_id IS NULL)
      AND (p.item_category IS NULL OR p.item_category = w.item_category)
      AND (p.item_subcategory IS NULL OR p.item_subcategory = w.item_subcategory)
    ORDER BY (p.shelf_id IS NOT NULL) DESC, (p.item_subcategory IS NOT NULL) DESC,
             (p.item_category IS NOT NULL) DESC, p.updated_at DESC
    LIMIT 1
) p ON true;
