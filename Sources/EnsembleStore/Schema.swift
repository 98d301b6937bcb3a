/// The store's schema as numbered migrations. `PRAGMA user_version` records the last one applied; each
/// runs in its own transaction, so a database is always at exactly one version.
enum Schema {
    static let migrations: [String] = [
        // 1: users, sessions and their inputs, drafting runs, versioned notes, review, risk, claims,
        // findings and the audit trail.
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('clinician', 'trainee', 'supervisor', 'assistant', 'biller', 'admin')),
            clinician_id TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            session_json TEXT NOT NULL,
            transcript_format TEXT NOT NULL,
            transcript_origin TEXT NOT NULL,
            inputs_digest TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE session_clinicians (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            clinician_id TEXT NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (session_id, clinician_id)
        );
        CREATE TABLE attendees (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            person_id TEXT NOT NULL,
            role TEXT NOT NULL,
            present INTEGER NOT NULL,
            ai_consent INTEGER NOT NULL,
            PRIMARY KEY (session_id, person_id)
        );
        CREATE TABLE utterances (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            idx INTEGER NOT NULL,
            label TEXT,
            text TEXT NOT NULL,
            start REAL,
            end REAL,
            line INTEGER NOT NULL,
            PRIMARY KEY (session_id, idx)
        );
        CREATE TABLE speaker_corrections (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            label TEXT NOT NULL,
            person_id TEXT,
            user_id TEXT NOT NULL REFERENCES users(id),
            created TEXT NOT NULL,
            PRIMARY KEY (session_id, label)
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            engine TEXT NOT NULL,
            inputs_digest TEXT NOT NULL,
            agents TEXT NOT NULL,
            output_digest TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id),
            created TEXT NOT NULL
        );
        CREATE TABLE speakers (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            label TEXT NOT NULL,
            person_id TEXT,
            confidence REAL NOT NULL,
            PRIMARY KEY (run_id, label)
        );
        CREATE TABLE attributions (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            idx INTEGER NOT NULL,
            person_id TEXT,
            confidence REAL NOT NULL,
            method TEXT NOT NULL,
            PRIMARY KEY (run_id, idx)
        );
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            attendee_id TEXT NOT NULL,
            format TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'awaitingCosignature', 'signed')),
            current_version INTEGER NOT NULL,
            UNIQUE (session_id, attendee_id)
        );
        CREATE TABLE note_versions (
            note_id INTEGER NOT NULL REFERENCES notes(id),
            version INTEGER NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('draft', 'redraft', 'edit')),
            run_id INTEGER REFERENCES runs(id),
            based_on INTEGER,
            author TEXT REFERENCES users(id),
            content TEXT NOT NULL,
            content_digest TEXT NOT NULL,
            diff TEXT,
            ai_generated INTEGER NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (note_id, version)
        );
        CREATE TABLE section_reviews (
            note_id INTEGER NOT NULL REFERENCES notes(id),
            version INTEGER NOT NULL,
            section TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
            user_id TEXT NOT NULL REFERENCES users(id),
            created TEXT NOT NULL,
            PRIMARY KEY (note_id, version, section)
        );
        CREATE TABLE signatures (
            note_id INTEGER NOT NULL REFERENCES notes(id),
            version INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('author', 'cosignature')),
            user_id TEXT NOT NULL REFERENCES users(id),
            created TEXT NOT NULL,
            PRIMARY KEY (note_id, kind)
        );
        CREATE TABLE addenda (
            id INTEGER PRIMARY KEY,
            note_id INTEGER NOT NULL REFERENCES notes(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            text TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE group_notes (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            version INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            content TEXT NOT NULL,
            content_digest TEXT NOT NULL,
            PRIMARY KEY (session_id, version)
        );
        CREATE TABLE risk_flags (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            attendee_id TEXT,
            category TEXT NOT NULL,
            level TEXT NOT NULL,
            route TEXT NOT NULL,
            evidence TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            created TEXT NOT NULL,
            acknowledged_by TEXT REFERENCES users(id),
            acknowledged_comment TEXT,
            acknowledged_at TEXT,
            UNIQUE (session_id, fingerprint)
        );
        CREATE TABLE claims (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            claim_id TEXT NOT NULL,
            attendee_id TEXT NOT NULL,
            codes TEXT NOT NULL,
            charge_cents INTEGER NOT NULL,
            drafted_status TEXT NOT NULL,
            status TEXT NOT NULL,
            reasons TEXT NOT NULL,
            content TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            PRIMARY KEY (session_id, claim_id)
        );
        CREATE TABLE findings (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            seq INTEGER NOT NULL,
            code TEXT NOT NULL,
            severity TEXT NOT NULL,
            person_id TEXT,
            message TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE TABLE audit_events (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE INDEX note_versions_by_run ON note_versions(run_id);
        CREATE INDEX risk_flags_open ON risk_flags(acknowledged_at, level);
        """,
        // 2: the server's job queue (one job per webhook event, unique by source and event id), users'
        // bearer tokens, kept only as SHA-256 digests, and session titles for lists.
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id),
            session_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            not_before TEXT NOT NULL,
            error TEXT,
            run_id INTEGER REFERENCES runs(id),
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            UNIQUE (source, event_id)
        );
        CREATE INDEX jobs_waiting ON jobs(state, not_before);
        ALTER TABLE sessions ADD COLUMN title TEXT;
        CREATE TABLE api_tokens (
            digest TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            label TEXT NOT NULL,
            created TEXT NOT NULL,
            last_used TEXT
        );
        """,
        // 3: security. Each job keeps the clinicians its own payload names (so the roster rule applies from
        // the moment it is queued) and its payload's digest (a job that fails for good drops its payload);
        // tokens may expire; signed-in browsers hold a server-side session, never a token.
        """
        CREATE TABLE job_clinicians (
            job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            clinician_id TEXT NOT NULL,
            PRIMARY KEY (job_id, clinician_id)
        );
        INSERT OR IGNORE INTO job_clinicians (job_id, clinician_id)
            SELECT j.id, c.clinician_id FROM jobs j JOIN session_clinicians c ON c.session_id = j.session_id;
        ALTER TABLE jobs ADD COLUMN payload_digest TEXT;
        ALTER TABLE api_tokens ADD COLUMN expires TEXT;
        ALTER TABLE api_tokens ADD COLUMN expiry_audited INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE browser_sessions (
            digest TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            token_digest TEXT NOT NULL,
            created TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            expires TEXT NOT NULL
        );
        CREATE INDEX browser_sessions_by_token ON browser_sessions(token_digest);
        """,
        // 4: a lease on each running job, renewed while its worker lives; one whose lease ran out is taken
        // back by the next claim (on PostgreSQL, workers in several instances share the queue). The running
        // attempt's latest progress line, for streams served by another instance.
        """
        ALTER TABLE jobs ADD COLUMN lease_expires TEXT;
        CREATE INDEX jobs_leases ON jobs(state, lease_expires);
        ALTER TABLE jobs ADD COLUMN progress TEXT;
        """,
        // 5: a label bound in spans (a diarizer swapping voices, a device handed over) has one row per span:
        // `span` 0 for its first or only entry, then 1, 2 … from `from_utterance` on.
        """
        CREATE TABLE speakers_by_span (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            label TEXT NOT NULL,
            span INTEGER NOT NULL,
            from_utterance INTEGER,
            person_id TEXT,
            confidence REAL NOT NULL,
            PRIMARY KEY (run_id, label, span)
        );
        INSERT INTO speakers_by_span (run_id, label, span, person_id, confidence)
            SELECT run_id, label, 0, person_id, confidence FROM speakers;
        DROP TABLE speakers;
        ALTER TABLE speakers_by_span RENAME TO speakers;
        """,
    ]

    /// Brings the database to the newest version; refuses a database from a newer Ensemble.
    static func migrate(_ connection: Connection) throws(StoreError) {
        let current = try connection.prepare("PRAGMA user_version").row { $0.int(0) } ?? 0
        guard current <= self.migrations.count else {
            throw StoreError(
                .newerSchema,
                "the database is at schema version \(current), newer than this Ensemble knows (\(self.migrations.count)); "
                    + "use a newer Ensemble or another --db")
        }
        for (offset, migration) in self.migrations.enumerated() where offset >= current {
            try connection.transaction { () throws(StoreError) in
                try connection.execute(migration)
                try connection.execute("PRAGMA user_version = \(offset + 1)")
            }
        }
    }
}
