-- The language the customer used with a receipt (DESIGN "Languages"): their reveal notices and
-- destruction receipts are written in it. NULL (receipts from before, scripted submissions
-- without one) means DEFAULT_LANGUAGE.
ALTER TABLE receipts ADD COLUMN language TEXT;
