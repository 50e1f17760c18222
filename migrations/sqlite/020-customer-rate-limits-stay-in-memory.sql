-- Nothing to change on SQLite. PostgreSQL's 020 creates the customer rate-limit windows every
-- instance shares; the one process on a SQLite file keeps them in memory (docs/decisions/014).
-- The number is taken here too so that a migration number means the same step on both backends
-- and a new file applies every version up to its current one.
SELECT 1;
