-- The identities of tickets read from CCCD chips (issue 21): the chip's
-- fields, their authenticity and the face. Sensitive personal data (the
-- face is biometric), kept apart from the queue's state (never in the
-- change log) and erased when the ticket's day ends (expires). doc is
-- queue.TicketIdentity as JSON (without the face); face is its JPEG.

CREATE TABLE ticket_identities (
	ticket_id text COLLATE "C" PRIMARY KEY,
	centre    text COLLATE "C" NOT NULL,
	expires   timestamptz NOT NULL,
	doc       jsonb NOT NULL,
	face      bytea
);
CREATE INDEX ticket_identities_expires ON ticket_identities (expires);
