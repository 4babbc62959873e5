-- version 10 sorts after 2, not between 1 and 2
ALTER TABLE orders ADD COLUMN customer_id bigint;
