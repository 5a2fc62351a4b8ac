-- Dossiers (issue 19): the form a citizen filled for a ticket or a booking,
-- the papers digitised into searchable PDFs with the fields read from them,
-- and the clerk's confirmation. Personal data, kept apart from the queue's
-- state (never in the change log) and erased when it expires. The owner is
-- "ticket:<id>" or "booking:<code>". doc is the queue type as JSON.

CREATE TABLE dossier_forms (
	owner   text COLLATE "C" PRIMARY KEY,
	centre  text COLLATE "C" NOT NULL,
	expires timestamptz NOT NULL,
	doc     jsonb NOT NULL
);
CREATE INDEX dossier_forms_expires ON dossier_forms (expires);

-- seq keeps the order documents came in.
CREATE TABLE dossier_documents (
	owner   text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	seq     bigint GENERATED ALWAYS AS IDENTITY,
	centre  text COLLATE "C" NOT NULL,
	size    bigint NOT NULL,
	expires timestamptz NOT NULL,
	doc     jsonb NOT NULL,
	PRIMARY KEY (owner, id)
);
CREATE INDEX dossier_documents_order ON dossier_documents (owner, seq);
CREATE INDEX dossier_documents_expires ON dossier_documents (expires);

-- The PDFs apart: listing a dossier reads none of them.
CREATE TABLE dossier_pdfs (
	owner text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	pdf   bytea NOT NULL,
	PRIMARY KEY (owner, id),
	FOREIGN KEY (owner, id) REFERENCES dossier_documents (owner, id) ON DELETE CASCADE
);

CREATE TABLE dossier_confirms (
	owner   text COLLATE "C" PRIMARY KEY,
	centre  text COLLATE "C" NOT NULL,
	expires timestamptz NOT NULL,
	doc     jsonb NOT NULL
);
CREATE INDEX dossier_confirms_expires ON dossier_confirms (expires);
