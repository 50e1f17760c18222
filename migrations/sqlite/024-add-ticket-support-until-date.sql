-- supportUntil is a calendar date (DESIGN "Smaller contract changes"): the date is kept as given,
-- and support_until stays the instant its period ends (the end of that day in SUPPORT_TIMEZONE),
-- which bounds credentials as before. Existing periods keep their instant; their date is the one
-- the old rule read (UTC). docs/decisions/023.
ALTER TABLE tickets ADD COLUMN support_until_date TEXT NOT NULL DEFAULT '';
UPDATE tickets SET support_until_date = strftime('%Y-%m-%d', support_until / 1000, 'unixepoch');
