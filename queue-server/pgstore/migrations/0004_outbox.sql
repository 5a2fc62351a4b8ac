-- The outbox (issue 18): each message written in the same transaction as
-- the change that causes it, then claimed by one sender of one instance at
-- a time and its delivery recorded; the contacts citizens gave (personal
-- data, purged when they expire); the centres' webhooks. Messages and
-- contacts are never in the change log.

-- A message: doc is queue.Message as JSON without its body; body, a
-- webhook's event, is kept as text, byte for byte (jsonb would reorder
-- its keys). The delivery state is in doc and, where queried, in columns.
-- lease_until is the zero time (year 1) when no sender holds the message.
CREATE TABLE messages (
	id          text COLLATE "C" PRIMARY KEY,
	centre      text COLLATE "C" NOT NULL,
	channel     text COLLATE "C" NOT NULL,
	status      text COLLATE "C" NOT NULL,
	created_at  timestamptz NOT NULL,
	next_at     timestamptz NOT NULL,
	lease_until timestamptz NOT NULL,
	body        text,
	doc         jsonb NOT NULL
);
-- The claim's order, over the pending messages only.
CREATE INDEX messages_due ON messages (next_at, id) WHERE status = 'pending';
-- A centre's messages newest first, and the purge of old ones.
CREATE INDEX messages_centre ON messages (centre, created_at, id);

CREATE TABLE contacts (
	ref     text COLLATE "C" PRIMARY KEY,
	centre  text COLLATE "C" NOT NULL,
	expires timestamptz NOT NULL,
	doc     jsonb NOT NULL
);
CREATE INDEX contacts_expires ON contacts (centre, expires);

CREATE TABLE webhooks (
	id      text COLLATE "C" PRIMARY KEY,
	centre  text COLLATE "C" NOT NULL,
	deleted boolean NOT NULL DEFAULT false,
	doc     jsonb NOT NULL
);
CREATE INDEX webhooks_centre ON webhooks (centre, id);
