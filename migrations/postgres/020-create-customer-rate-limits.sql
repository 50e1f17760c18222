-- PostgreSQL only: the customer endpoints' per-address minute windows, shared by every instance
-- behind the load balancer (one instance's memory would let a client spread its budget over N).
-- Keys are client addresses (or /64s): pruned once their window has ended.
CREATE UNLOGGED TABLE customer_rate_limits (
  key               TEXT PRIMARY KEY,
  count             INTEGER NOT NULL,
  window_started_at BIGINT NOT NULL
);
CREATE INDEX customer_rate_limits_window ON customer_rate_limits (window_started_at);
