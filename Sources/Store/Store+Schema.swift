import GRDB

extension Store {
    /// Named migrations; a shipped migration never changes. Invariants live in the schema: NOT NULL, CHECK,
    /// foreign keys, unique indexes, and triggers that make the audit trail append-only.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: intake, cases, history, users, audit") { db in
            try db.execute(sql: """
            CREATE TABLE rulesets (
                version TEXT PRIMARY KEY,
                activated_at REAL NOT NULL,
                activated_by TEXT NOT NULL
            );
            CREATE TABLE counters (
                name TEXT PRIMARY KEY,
                value INTEGER NOT NULL
            );
            CREATE TABLE applications (
                id TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
                version INTEGER NOT NULL CHECK (version >= 1),
                received_at REAL NOT NULL,
                submitted_by TEXT NOT NULL,
                assigned_id INTEGER NOT NULL CHECK (assigned_id IN (0, 1)),
                body BLOB NOT NULL,
                input_hash TEXT NOT NULL,
                PRIMARY KEY (id, version)
            ) WITHOUT ROWID;
            CREATE TABLE decisions (
                application_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                ruleset TEXT NOT NULL REFERENCES rulesets(version),
                input_hash TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('invalid', 'declined', 'approved', 'referred')),
                reasons TEXT NOT NULL,
                decision TEXT NOT NULL,
                decided_by TEXT NOT NULL,
                decided_at REAL NOT NULL,
                PRIMARY KEY (application_id, version),
                FOREIGN KEY (application_id, version) REFERENCES applications(id, version)
            ) WITHOUT ROWID;
            CREATE TABLE cases (
                id TEXT PRIMARY KEY,
                submitted_by TEXT NOT NULL,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'returned', 'approved', 'declined')),
                current_level INTEGER NOT NULL CHECK (current_level >= 0),
                level_count INTEGER NOT NULL CHECK (level_count >= 1 AND current_level < level_count),
                tier INTEGER NOT NULL,
                due_at REAL,
                lease_holder TEXT,
                lease_token TEXT,
                lease_expires_at REAL,
                paused_remaining REAL,
                CHECK ((status = 'claimed') = (lease_token IS NOT NULL AND lease_holder IS NOT NULL AND lease_expires_at IS NOT NULL)),
                CHECK ((status = 'returned') = (paused_remaining IS NOT NULL))
            ) WITHOUT ROWID;
            CREATE INDEX cases_open ON cases (due_at, created_at) WHERE status IN ('queued', 'claimed');
            CREATE TABLE case_levels (
                case_id TEXT NOT NULL REFERENCES cases(id),
                level INTEGER NOT NULL CHECK (level >= 0),
                tier INTEGER NOT NULL CHECK (tier >= 1),
                sla_seconds INTEGER NOT NULL CHECK (sla_seconds > 0),
                due_at REAL,
                outcome TEXT CHECK (outcome IN ('approved', 'declined')),
                decided_by TEXT,
                decided_at REAL,
                reason TEXT,
                CHECK ((outcome IS NULL) = (decided_by IS NULL)),
                PRIMARY KEY (case_id, level)
            ) WITHOUT ROWID;
            -- Four eyes: one approver decides at most one level of a case.
            CREATE UNIQUE INDEX case_levels_one_per_approver ON case_levels (case_id, decided_by) WHERE decided_by IS NOT NULL;
            CREATE TABLE case_decisions (
                case_id TEXT PRIMARY KEY REFERENCES cases(id),
                outcome TEXT NOT NULL CHECK (outcome IN ('approved', 'declined')),
                decided_by TEXT NOT NULL,
                decided_at REAL NOT NULL,
                reason TEXT,
                input_hash TEXT NOT NULL,
                ruleset TEXT NOT NULL,
                reasons TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE history (
                id INTEGER PRIMARY KEY,
                application_id TEXT NOT NULL,
                at REAL NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT,
                level INTEGER,
                note TEXT
            );
            CREATE INDEX history_by_application ON history (application_id, id);
            CREATE TABLE users (
                name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
                tier INTEGER NOT NULL CHECK (tier >= 0),
                roles TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                created_at REAL NOT NULL,
                password_hash TEXT,
                totp_secret TEXT
            ) WITHOUT ROWID;
            CREATE TABLE requests (
                actor TEXT NOT NULL,
                request_id TEXT NOT NULL,
                response TEXT NOT NULL,
                at REAL NOT NULL,
                PRIMARY KEY (actor, request_id)
            ) WITHOUT ROWID;
            CREATE TABLE audit (
                seq INTEGER PRIMARY KEY CHECK (seq >= 1),
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            CREATE TABLE checkpoints (
                seq INTEGER PRIMARY KEY,
                hash TEXT NOT NULL,
                at TEXT NOT NULL,
                public_key TEXT NOT NULL,
                signature TEXT NOT NULL
            );
            -- Decision records are kept at least 25 months (Reg B); older ones may be purged.
            CREATE TRIGGER decisions_retention BEFORE DELETE ON decisions
                WHEN OLD.decided_at > unixepoch('now') - 25 * 2629746
                BEGIN SELECT RAISE(ABORT, 'decision records younger than 25 months cannot be purged'); END;
            CREATE TRIGGER case_decisions_retention BEFORE DELETE ON case_decisions
                WHEN OLD.decided_at > unixepoch('now') - 25 * 2629746
                BEGIN SELECT RAISE(ABORT, 'decision records younger than 25 months cannot be purged'); END;
            """)
        }
        migrator.registerMigration("v2: login second factor and password changes") { db in
            try db.execute(sql: """
            -- The last TOTP time step accepted for the user: a code is accepted only for a later step, so no code
            -- works twice, on any connection, before or after a restart.
            ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT -1;
            ALTER TABLE users ADD COLUMN password_changed_at REAL;
            """)
        }
        migrator.registerMigration("v3: applications and decisions stored in arrival order") { db in
            // Both tables were clustered on the application number (WITHOUT ROWID), so each new row, with its
            // body or decision JSON, went into the middle of the table: with numbers that do not arrive in order
            // (UUIDs, branch prefixes) every application rewrote two random full pages at commit. As rowid tables
            // their rows are appended, and only the narrow primary-key index takes the random insert. Same
            // columns, keys and constraints; rebuilt the way SQLite's ALTER TABLE documentation describes (GRDB
            // runs migrations with foreign keys off and checks them before committing).
            try db.execute(sql: """
            CREATE TABLE applications_v3 (
                id TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
                version INTEGER NOT NULL CHECK (version >= 1),
                received_at REAL NOT NULL,
                submitted_by TEXT NOT NULL,
                assigned_id INTEGER NOT NULL CHECK (assigned_id IN (0, 1)),
                body BLOB NOT NULL,
                input_hash TEXT NOT NULL,
                PRIMARY KEY (id, version)
            );
            INSERT INTO applications_v3 (id, version, received_at, submitted_by, assigned_id, body, input_hash)
                SELECT id, version, received_at, submitted_by, assigned_id, body, input_hash FROM applications
                ORDER BY received_at, id, version;
            DROP TABLE applications;
            ALTER TABLE applications_v3 RENAME TO applications;
            CREATE TABLE decisions_v3 (
                application_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                ruleset TEXT NOT NULL REFERENCES rulesets(version),
                input_hash TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('invalid', 'declined', 'approved', 'referred')),
                reasons TEXT NOT NULL,
                decision TEXT NOT NULL,
                decided_by TEXT NOT NULL,
                decided_at REAL NOT NULL,
                PRIMARY KEY (application_id, version),
                FOREIGN KEY (application_id, version) REFERENCES applications(id, version)
            );
            INSERT INTO decisions_v3 (application_id, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at)
                SELECT application_id, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at
                FROM decisions ORDER BY decided_at, application_id, version;
            DROP TABLE decisions;
            ALTER TABLE decisions_v3 RENAME TO decisions;
            CREATE TRIGGER decisions_retention BEFORE DELETE ON decisions
                WHEN OLD.decided_at > unixepoch('now') - 25 * 2629746
                BEGIN SELECT RAISE(ABORT, 'decision records younger than 25 months cannot be purged'); END;
            """)
        }
        migrator.registerMigration("v4: take-next indexes") { db in
            // Take-next walked `cases_open` (queued and claimed cases in queue order) and stepped over every claimed
            // case on the way: with many approvers working, hundreds per call. Queued cases now have their own
            // index in queue order, carrying what the tier and four-eyes filters read, and claims are found by when
            // their lease expires (there are at most as many as approvers at work). Queue listings and counts read
            // both; intake still maintains one index per new case.
            try db.execute(sql: """
            DROP INDEX cases_open;
            CREATE INDEX cases_queued ON cases (due_at, created_at, tier, submitted_by) WHERE status = 'queued';
            CREATE INDEX cases_leases ON cases (lease_expires_at) WHERE status = 'claimed';
            """)
        }
        migrator.registerMigration("v5: integer application keys") { db in
            // The application number was the key of five tables (applications, decisions, cases, case_levels and
            // the history index), so with numbers that do not arrive in order (UUIDs, branch prefixes) every new
            // referred application went into the middle of five b-trees. Now the number is stored once, in
            // `application_numbers`, under an integer key given in arrival order, and every other table refers
            // to that key: their rows and indexes grow at the end, and only the number's own unique index takes
            // an insert at a random place when numbers come in no order.
            try db.execute(sql: """
            CREATE TABLE application_numbers (
                key INTEGER PRIMARY KEY,
                number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 64)
            );
            INSERT INTO application_numbers (number) SELECT id FROM applications WHERE version = 1 ORDER BY rowid;

            CREATE TABLE applications_v5 (
                application INTEGER NOT NULL REFERENCES application_numbers(key),
                version INTEGER NOT NULL CHECK (version >= 1),
                received_at REAL NOT NULL,
                submitted_by TEXT NOT NULL,
                assigned_id INTEGER NOT NULL CHECK (assigned_id IN (0, 1)),
                body BLOB NOT NULL,
                input_hash TEXT NOT NULL,
                PRIMARY KEY (application, version)
            );
            INSERT INTO applications_v5 (application, version, received_at, submitted_by, assigned_id, body, input_hash)
                SELECT n.key, a.version, a.received_at, a.submitted_by, a.assigned_id, a.body, a.input_hash
                FROM applications a JOIN application_numbers n ON n.number = a.id ORDER BY a.rowid;
            DROP TABLE applications;
            ALTER TABLE applications_v5 RENAME TO applications;

            CREATE TABLE decisions_v5 (
                application INTEGER NOT NULL,
                version INTEGER NOT NULL,
                ruleset TEXT NOT NULL REFERENCES rulesets(version),
                input_hash TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('invalid', 'declined', 'approved', 'referred')),
                reasons TEXT NOT NULL,
                decision TEXT NOT NULL,
                decided_by TEXT NOT NULL,
                decided_at REAL NOT NULL,
                PRIMARY KEY (application, version),
                FOREIGN KEY (application, version) REFERENCES applications(application, version)
            );
            INSERT INTO decisions_v5 (application, version, ruleset, input_hash, outcome, reasons, decision, decided_by, decided_at)
                SELECT n.key, d.version, d.ruleset, d.input_hash, d.outcome, d.reasons, d.decision, d.decided_by, d.decided_at
                FROM decisions d JOIN application_numbers n ON n.number = d.application_id ORDER BY d.rowid;
            DROP TABLE decisions;
            ALTER TABLE decisions_v5 RENAME TO decisions;
            CREATE TRIGGER decisions_retention BEFORE DELETE ON decisions
                WHEN OLD.decided_at > unixepoch('now') - 25 * 2629746
                BEGIN SELECT RAISE(ABORT, 'decision records younger than 25 months cannot be purged'); END;

            CREATE TABLE cases_v5 (
                application INTEGER PRIMARY KEY REFERENCES application_numbers(key),
                submitted_by TEXT NOT NULL,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'returned', 'approved', 'declined')),
                current_level INTEGER NOT NULL CHECK (current_level >= 0),
                level_count INTEGER NOT NULL CHECK (level_count >= 1 AND current_level < level_count),
                tier INTEGER NOT NULL,
                due_at REAL,
                lease_holder TEXT,
                lease_token TEXT,
                lease_expires_at REAL,
                paused_remaining REAL,
                CHECK ((status = 'claimed') = (lease_token IS NOT NULL AND lease_holder IS NOT NULL AND lease_expires_at IS NOT NULL)),
                CHECK ((status = 'returned') = (paused_remaining IS NOT NULL))
            );
            INSERT INTO cases_v5 (application, submitted_by, created_at, updated_at, status, current_level, level_count, tier, due_at,
                                  lease_holder, lease_token, lease_expires_at, paused_remaining)
                SELECT n.key, c.submitted_by, c.created_at, c.updated_at, c.status, c.current_level, c.level_count, c.tier, c.due_at,
                       c.lease_holder, c.lease_token, c.lease_expires_at, c.paused_remaining
                FROM cases c JOIN application_numbers n ON n.number = c.id ORDER BY n.key;
            DROP TABLE cases;
            ALTER TABLE cases_v5 RENAME TO cases;
            CREATE INDEX cases_queued ON cases (due_at, created_at, tier, submitted_by) WHERE status = 'queued';
            CREATE INDEX cases_leases ON cases (lease_expires_at) WHERE status = 'claimed';

            CREATE TABLE case_levels_v5 (
                application INTEGER NOT NULL REFERENCES cases(application),
                level INTEGER NOT NULL CHECK (level >= 0),
                tier INTEGER NOT NULL CHECK (tier >= 1),
                sla_seconds INTEGER NOT NULL CHECK (sla_seconds > 0),
                due_at REAL,
                outcome TEXT CHECK (outcome IN ('approved', 'declined')),
                decided_by TEXT,
                decided_at REAL,
                reason TEXT,
                CHECK ((outcome IS NULL) = (decided_by IS NULL)),
                PRIMARY KEY (application, level)
            ) WITHOUT ROWID;
            INSERT INTO case_levels_v5 (application, level, tier, sla_seconds, due_at, outcome, decided_by, decided_at, reason)
                SELECT n.key, l.level, l.tier, l.sla_seconds, l.due_at, l.outcome, l.decided_by, l.decided_at, l.reason
                FROM case_levels l JOIN application_numbers n ON n.number = l.case_id ORDER BY n.key, l.level;
            DROP TABLE case_levels;
            ALTER TABLE case_levels_v5 RENAME TO case_levels;
            -- Four eyes: one approver decides at most one level of a case.
            CREATE UNIQUE INDEX case_levels_one_per_approver ON case_levels (application, decided_by) WHERE decided_by IS NOT NULL;

            CREATE TABLE case_decisions_v5 (
                application INTEGER PRIMARY KEY REFERENCES cases(application),
                outcome TEXT NOT NULL CHECK (outcome IN ('approved', 'declined')),
                decided_by TEXT NOT NULL,
                decided_at REAL NOT NULL,
                reason TEXT,
                input_hash TEXT NOT NULL,
                ruleset TEXT NOT NULL,
                reasons TEXT NOT NULL
            );
            INSERT INTO case_decisions_v5 (application, outcome, decided_by, decided_at, reason, input_hash, ruleset, reasons)
                SELECT n.key, d.outcome, d.decided_by, d.decided_at, d.reason, d.input_hash, d.ruleset, d.reasons
                FROM case_decisions d JOIN application_numbers n ON n.number = d.case_id ORDER BY n.key;
            DROP TABLE case_decisions;
            ALTER TABLE case_decisions_v5 RENAME TO case_decisions;
            CREATE TRIGGER case_decisions_retention BEFORE DELETE ON case_decisions
                WHEN OLD.decided_at > unixepoch('now') - 25 * 2629746
                BEGIN SELECT RAISE(ABORT, 'decision records younger than 25 months cannot be purged'); END;

            CREATE TABLE history_v5 (
                id INTEGER PRIMARY KEY,
                application INTEGER NOT NULL REFERENCES application_numbers(key),
                at REAL NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT,
                level INTEGER,
                note TEXT
            );
            INSERT INTO history_v5 (id, application, at, actor, action, from_state, to_state, level, note)
                SELECT h.id, n.key, h.at, h.actor, h.action, h.from_state, h.to_state, h.level, h.note
                FROM history h JOIN application_numbers n ON n.number = h.application_id ORDER BY h.id;
            DROP TABLE history;
            ALTER TABLE history_v5 RENAME TO history;
            CREATE INDEX history_by_application ON history (application, id);

            CREATE TRIGGER application_numbers_fixed BEFORE UPDATE OF key, number ON application_numbers
                BEGIN SELECT RAISE(ABORT, 'an application number never changes'); END;
            """)
        }
        migrator.registerMigration("v6: first-version history read from intake's rows") { db in
            // A first version's history entries (submitted, decided, case opened) are now read from its application,
            // decision and case rows (`FirstVersionHistory`) instead of being stored. Removed here: each application's
            // `submit` entry noted 'version 1'; its first `decide` entry, if no later version's `submit` comes before
            // it; and its first `open` entry when its first version was referred (such a case was opened by it).
            try db.execute(sql: """
            DELETE FROM history WHERE action = 'submit' AND note = 'version 1';
            DELETE FROM history WHERE id IN (
                SELECT min(h.id) FROM history h
                WHERE h.action = 'decide' AND NOT EXISTS (
                    SELECT 1 FROM history s WHERE s.application = h.application AND s.action = 'submit' AND s.id < h.id)
                GROUP BY h.application);
            DELETE FROM history WHERE id IN (
                SELECT min(h.id) FROM history h
                JOIN decisions d ON d.application = h.application AND d.version = 1 AND d.outcome = 'referred'
                WHERE h.action = 'open'
                GROUP BY h.application);
            """)
        }
        return migrator
    }()
}
