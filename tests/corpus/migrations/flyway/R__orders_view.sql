CREATE OR REPLACE VIEW recent_orders AS SELECT id, placed_at FROM orders WHERE placed_at > now() - interval '7 days';
