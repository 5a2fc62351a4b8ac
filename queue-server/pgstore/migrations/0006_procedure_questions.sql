-- The questions asked of the procedure guidance (issue 20), counted per
-- centre and local day: no personal data (the server refuses a question
-- that carries an ID or phone number or an e-mail address), erased after
-- 90 days. doc is queue.ProcedureQuestionDay as JSON.

CREATE TABLE procedure_questions (
	day    text COLLATE "C" NOT NULL,
	centre text COLLATE "C" NOT NULL,
	q      text COLLATE "C" NOT NULL,
	doc    jsonb NOT NULL,
	PRIMARY KEY (centre, day, q)
);
CREATE INDEX procedure_questions_day ON procedure_questions (day);
