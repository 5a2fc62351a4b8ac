-- The first schema of the PostgreSQL store (see the package comment of
-- pgstore). Keys are text COLLATE "C": they compare and sort by bytes, as
-- the bbolt store's keys do, whatever the database's locale.

-- A centre: its configuration and meta, and its revision (the number of
-- commits that changed it), which every commit raises by one.
CREATE TABLE centres (
	id     text COLLATE "C" PRIMARY KEY,
	config jsonb NOT NULL,
	meta   jsonb,
	rev    bigint NOT NULL
) WITH (fillfactor = 50); -- rewritten by every commit: room for HOT updates

CREATE TABLE tickets (
	id     text COLLATE "C" PRIMARY KEY,
	centre text COLLATE "C" NOT NULL,
	day    text COLLATE "C" NOT NULL,
	number text COLLATE "C" NOT NULL,
	key    text COLLATE "C" NOT NULL DEFAULT '', -- idempotency key
	status text NOT NULL,
	doc    jsonb NOT NULL,
	-- A number is given once a day in a centre, whatever the code does;
	-- also the index of Tickets(centre, day) and of LoadCentre.
	CONSTRAINT tickets_number UNIQUE (centre, day, number)
);
CREATE UNIQUE INDEX tickets_key ON tickets (centre, key) WHERE key <> '';

CREATE TABLE counters (
	centre text COLLATE "C" NOT NULL,
	number int NOT NULL,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, number)
);

-- The last number issued per day and service (key "YYYY-MM-DD/A"), from
-- the centre's current day on.
CREATE TABLE numbers (
	centre text COLLATE "C" NOT NULL,
	key    text COLLATE "C" NOT NULL,
	last   int NOT NULL,
	PRIMARY KEY (centre, key)
);

CREATE TABLE stats (
	centre  text COLLATE "C" NOT NULL,
	service text COLLATE "C" NOT NULL,
	doc     jsonb NOT NULL,
	PRIMARY KEY (centre, service)
);

-- The event log of every centre, by seq: the public event stream.
CREATE TABLE events (
	centre text COLLATE "C" NOT NULL,
	seq    bigint NOT NULL,
	at     timestamptz NOT NULL,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, seq)
);

CREATE TABLE audit (
	centre text COLLATE "C" NOT NULL,
	id     bigint GENERATED ALWAYS AS IDENTITY,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, id)
);

CREATE TABLE bookings (
	code   text COLLATE "C" PRIMARY KEY,
	centre text COLLATE "C" NOT NULL,
	day    text COLLATE "C" NOT NULL, -- local day of the slot
	purged boolean NOT NULL DEFAULT false,
	doc    jsonb NOT NULL
);
CREATE INDEX bookings_day ON bookings (centre, day, code);

CREATE TABLE noshows (
	centre text COLLATE "C" NOT NULL,
	id     bigint GENERATED ALWAYS AS IDENTITY,
	at     timestamptz NOT NULL,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, id)
);

-- Number blocks leased to kiosks for offline printing.
CREATE TABLE blocks (
	centre text COLLATE "C" NOT NULL,
	day    text COLLATE "C" NOT NULL,
	id     text COLLATE "C" NOT NULL,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, day, id)
);

CREATE TABLE users (
	username text COLLATE "C" PRIMARY KEY,
	doc      jsonb NOT NULL
);

-- Sessions by the sha-256 of their token, never the token.
CREATE TABLE sessions (
	hash    text COLLATE "C" PRIMARY KEY,
	expires timestamptz NOT NULL,
	doc     jsonb NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE kiosks (
	id  text COLLATE "C" PRIMARY KEY,
	doc jsonb NOT NULL
);

-- Kiosk enrolment tokens by the sha-256 of the token.
CREATE TABLE enrollments (
	hash text COLLATE "C" PRIMARY KEY,
	doc  jsonb NOT NULL
);

-- Spent anti-bot challenges, until they expire (whole seconds).
CREATE TABLE spent_challenges (
	challenge text COLLATE "C" NOT NULL,
	expires   timestamptz NOT NULL,
	PRIMARY KEY (challenge, expires)
);
CREATE INDEX spent_challenges_expires ON spent_challenges (expires);

-- Fingerprints of the keys kept outside the store (the CCCD hashing key).
CREATE TABLE key_ids (
	name text COLLATE "C" PRIMARY KEY,
	id   text NOT NULL
);

-- The change log: each commit's changes of a centre (queue.Changes as JSON,
-- without its audit records) under the revision it made, from which other
-- servers catch up (Since). Kept for Options.ChangeLogKeep.
CREATE TABLE changes (
	centre text COLLATE "C" NOT NULL,
	rev    bigint NOT NULL,
	doc    jsonb NOT NULL,
	at     timestamptz NOT NULL,
	PRIMARY KEY (centre, rev)
);

-- commit_centre raises a centre's revision for a commit of its changes:
-- p_rev is the revision the changes make (0: the next one, whatever it
-- is); a centre not at p_rev - 1 fails the commit (SQLSTATE XH409), an
-- unknown centre without a configuration too (XH404). It deletes the
-- numbering of days before the meta's day, logs the changes and notifies
-- the other servers ("<rev> <centre>" on channel xephang_changes).
CREATE FUNCTION commit_centre(p_id text, p_rev bigint, p_config jsonb, p_meta jsonb, p_change jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	r bigint;
BEGIN
	IF p_config IS NULL THEN
		UPDATE centres SET rev = rev + 1, meta = coalesce(p_meta, meta)
			WHERE id = p_id AND (p_rev = 0 OR rev = p_rev - 1)
			RETURNING rev INTO r;
	ELSE
		INSERT INTO centres AS c (id, config, meta, rev) VALUES (p_id, p_config, p_meta, 1)
			ON CONFLICT (id) DO UPDATE
				SET rev = c.rev + 1, config = EXCLUDED.config, meta = coalesce(EXCLUDED.meta, c.meta)
				WHERE p_rev = 0 OR c.rev = p_rev - 1
			RETURNING rev INTO r;
	END IF;
	IF r IS NULL AND NOT EXISTS (SELECT FROM centres WHERE id = p_id) THEN
		RAISE EXCEPTION 'no centre %', p_id USING ERRCODE = 'XH404';
	END IF;
	IF r IS NULL OR (p_rev <> 0 AND r <> p_rev) THEN
		RAISE EXCEPTION 'centre % is not at revision %', p_id, p_rev - 1 USING ERRCODE = 'XH409';
	END IF;
	IF p_meta->>'day' <> '' THEN
		DELETE FROM numbers WHERE centre = p_id AND key < p_meta->>'day';
	END IF;
	INSERT INTO changes (centre, rev, doc, at) VALUES (p_id, r, p_change, now());
	PERFORM pg_notify('xephang_changes', r || ' ' || p_id);
	RETURN r;
END
$$;
