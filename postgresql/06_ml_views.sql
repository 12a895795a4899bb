-- The demand features as services and analysts read them (analytics.shelf_daily_features: one row per
-- shelf and target day, as known at a cutoff on feature_date).

-- The features of the latest feature date: what an order placed now is forecast from.
DROP VIEW IF EXISTS analytics.v_ml_features;
CREATE VIEW analytics.v_ml_features AS
SELECT f.*
FROM analytics.shelf_daily_features f
WHERE f.feature_date = (SELECT max(feature_date) FROM analytics.shelf_daily_features);

-- Every feature row whose target day has closed, with the demand that came that day (units sold plus
-- lost-sale units): the training table. Rows whose target day is still open are not in it.
DROP VIEW IF EXISTS analytics.v_ml_train;
CREATE VIEW analytics.v_ml_train AS
SELECT f.*, d.units_sold + d.lost_sale_units AS demand
FROM analytics.shelf_daily_features f
JOIN analytics.shelf_daily d ON d.shelf_id = f.shelf_id AND d.day = f.target_date;
