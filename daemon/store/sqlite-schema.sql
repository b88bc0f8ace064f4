-- followupd's state schema on SQLite, as the migrations leave it (see snapshot.py).
-- Written by `python3 -m daemon.store.snapshot`; tests/test_migrations.py compares it.
-- revision: 0008

CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

CREATE TABLE accounts (
	name VARCHAR(100) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	last_poll_at DATETIME, 
	last_success_at DATETIME, 
	last_error TEXT, 
	fix TEXT, 
	backoff_until DATETIME, 
	failures INTEGER NOT NULL, identity TEXT, 
	PRIMARY KEY (name)
);

CREATE TABLE problems (
	id INTEGER NOT NULL, 
	account VARCHAR(100) NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	item VARCHAR(1000) NOT NULL, 
	message TEXT NOT NULL, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	count INTEGER NOT NULL, container TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (account, source, item)
);

CREATE TABLE sync_cursors (
	account VARCHAR(100) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	value TEXT, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (account, kind)
);

CREATE TABLE transitions (
	id INTEGER NOT NULL, 
	followup_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	from_state VARCHAR(20), 
	to_state VARCHAR(20) NOT NULL, 
	reason TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(followup_id) REFERENCES followups (id)
);

CREATE INDEX ix_transitions_followup_id ON transitions (followup_id);

CREATE TABLE "processes" (
	id INTEGER NOT NULL, 
	account VARCHAR(100) NOT NULL, 
	company_key TEXT NOT NULL, 
	company TEXT, 
	domains JSON NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	reason TEXT, 
	replied_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (account, company_key)
);

CREATE TABLE "interviews" (
	id INTEGER NOT NULL, 
	account VARCHAR(100) NOT NULL, 
	event_id VARCHAR(2000) NOT NULL, 
	series_id TEXT, 
	calendar TEXT NOT NULL, 
	title TEXT NOT NULL, 
	company TEXT, 
	role TEXT, 
	start_at DATETIME NOT NULL, 
	end_at DATETIME NOT NULL, 
	timezone TEXT, 
	organizer TEXT, 
	status VARCHAR(20) NOT NULL, 
	reason TEXT, 
	notes JSON NOT NULL, 
	main_contact TEXT, 
	decision_expected DATE, 
	process_id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, max_interviewers INTEGER, language TEXT, fit TEXT, company_override TEXT, role_override TEXT, own_message JSON, notified_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (account, event_id), 
	FOREIGN KEY(process_id) REFERENCES processes (id)
);

CREATE INDEX ix_interviews_account_start_at ON interviews (account, start_at);

CREATE TABLE "interviewers" (
	id INTEGER NOT NULL, 
	interview_id INTEGER NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	name TEXT, 
	is_organizer BOOLEAN NOT NULL, 
	active BOOLEAN NOT NULL, 
	notes JSON NOT NULL, title TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (interview_id, email), 
	FOREIGN KEY(interview_id) REFERENCES interviews (id)
);

CREATE INDEX ix_interviews_start_at ON interviews (start_at);

CREATE TABLE "followups" (
	id INTEGER NOT NULL, 
	"key" VARCHAR(500) NOT NULL, 
	interview_id INTEGER NOT NULL, 
	interviewer_id INTEGER NOT NULL, 
	kind VARCHAR(30) NOT NULL, 
	seq INTEGER NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	reason TEXT, 
	due_at DATETIME NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error TEXT, 
	draft_id TEXT, 
	thread_id TEXT, 
	message_id TEXT, 
	subject TEXT, 
	drafted_at DATETIME, 
	sent_at DATETIME, 
	sent_message_id TEXT, 
	sent_provider_id TEXT, 
	sent_references JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	draft_text TEXT, 
	revision INTEGER DEFAULT 0 NOT NULL, failure VARCHAR(20), failure_fingerprint TEXT, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	UNIQUE (interview_id, interviewer_id, kind, seq), 
	FOREIGN KEY(interviewer_id) REFERENCES interviewers (id), 
	FOREIGN KEY(interview_id) REFERENCES interviews (id)
);

CREATE INDEX ix_followups_state_due_at ON followups (state, due_at);

CREATE INDEX ix_interviews_process_id ON interviews (process_id);

CREATE INDEX ix_followups_interview_id_state ON followups (interview_id, state);

CREATE INDEX ix_interviews_unmarked_end_at ON interviews (account, end_at) WHERE notified_at IS NULL OR notified_at < end_at;

CREATE TABLE account_leases (
	account VARCHAR(100) NOT NULL, 
	holder VARCHAR(64), 
	generation INTEGER DEFAULT '0' NOT NULL, 
	taken_at DATETIME, 
	expires_at DATETIME, 
	PRIMARY KEY (account)
);

CREATE INDEX ix_account_leases_holder ON account_leases (holder);

CREATE TABLE instances (
	id VARCHAR(64) NOT NULL, 
	host TEXT NOT NULL, 
	pid INTEGER NOT NULL, 
	home TEXT, 
	started_at DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
