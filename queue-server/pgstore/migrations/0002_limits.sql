-- The rate limits and sign-in back-off of every instance, shared
-- (queue-server/pglimits). UNLOGGED: a take writes no WAL, so it waits for
-- no flush and no standby; a crash or a failover empties them (everyone
-- starts with a fresh allowance, as when a single server restarts).
CREATE UNLOGGED TABLE rate_buckets (
	name     text NOT NULL,             -- the limit (httpapi.Rate.Name)
	key      text NOT NULL,             -- what it counts: a client address
	tokens   double precision NOT NULL, -- left after the last take
	taken_at timestamptz NOT NULL,      -- the last take
	idle_at  timestamptz NOT NULL,      -- taken_at + the window: full again, may be swept
	taken    boolean NOT NULL,          -- whether the last take got a token
	PRIMARY KEY (name, key)
);
CREATE UNLOGGED TABLE backoff_strikes (
	policy       text NOT NULL,        -- httpapi.BackoffPolicy.Name
	key          text NOT NULL,        -- an account, an address
	failures     integer NOT NULL,
	last_failure timestamptz NOT NULL,
	wait_until   timestamptz NOT NULL, -- no attempt is checked before
	forget_at    timestamptz NOT NULL, -- last_failure + Forget: afresh once not waiting
	PRIMARY KEY (policy, key)
);
