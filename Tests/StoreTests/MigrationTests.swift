import Foundation
import GRDB
@testable import Store
import Testing

/// A database written by an older release opens with every row kept and every constraint still enforced.
@Suite struct MigrationTests {
    @Test func applicationsDecisionsCasesAndHistoryKeepEveryRowAndRule() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        let now = Date().timeIntervalSince1970

        // A database as the release with migrations v1 and v2 left it: two versions of one application, one of
        // another, and a two-level case for the second with its first level decided, a final decision and history.
        do {
            let old = try DatabaseQueue(path: path)
            try Store.migrator.migrate(old, upTo: "v2: login second factor and password changes")
            try old.write { db in
                try db.execute(sql: "INSERT INTO rulesets VALUES ('r1', ?, 'admin')", arguments: [now])
                for (id, version, body) in [("Z-9", 1, "{\"a\":1}"), ("A-1", 1, "{}"), ("Z-9", 2, "{\"a\":2}")] {
                    try db.execute(sql: "INSERT INTO applications VALUES (?, ?, ?, 'branch', 0, ?, ?)",
                                   arguments: [id, version, now + Double(version), Data(body.utf8), "hash-\(id)-\(version)"])
                    try db.execute(sql: "INSERT INTO decisions VALUES (?, ?, 'r1', ?, 'invalid', '[]', ?, 'riskgate', ?)",
                                   arguments: [id, version, "hash-\(id)-\(version)", "{\"v\":\(version)}", now])
                }
                for sql in ["INSERT INTO cases VALUES ('A-1', 'branch', ?1, ?1, 'approved', 1, 2, 3, NULL, NULL, NULL, NULL, NULL)",
                            "INSERT INTO case_levels VALUES ('A-1', 0, 2, 3600, ?1, 'approved', 'sam', ?1, NULL), ('A-1', 1, 3, 7200, ?1, 'approved', 'cora', ?1, NULL)",
                            "INSERT INTO case_decisions VALUES ('A-1', 'approved', 'cora', ?1, NULL, 'hash-A-1-1', 'r1', '[]')",
                            """
                            INSERT INTO history (application_id, at, actor, action, note) VALUES ('Z-9', ?1, 'branch', 'submit', 'version 1'),
                                ('A-1', ?1, 'branch', 'submit', 'version 1'), ('A-1', ?1, 'sam', 'approve', NULL)
                            """] {
                    try db.execute(sql: sql, arguments: [now])
                }
            }
            try old.close()
        }

        let store = try Store(path: path)
        try store.writer.read { db in
            // Numbers get keys in arrival order (A-1 and Z-9 arrived at the same time; v3 ordered them by number); every
            // table refers to the key.
            #expect(try String.fetchAll(db, sql: "SELECT key || ':' || number FROM application_numbers ORDER BY key") == ["1:A-1", "2:Z-9"])
            let applications = try Row.fetchAll(db, sql: """
                SELECT number, version, CAST(body AS TEXT) AS body, input_hash FROM applications JOIN application_numbers ON key = application
                ORDER BY number, version
                """)
            #expect(applications.map { "\($0["number"] as String)/\($0["version"] as Int)/\($0["body"] as String)/\($0["input_hash"] as String)" }
                    == ["A-1/1/{}/hash-A-1-1", "Z-9/1/{\"a\":1}/hash-Z-9-1", "Z-9/2/{\"a\":2}/hash-Z-9-2"])
            let decisions = try String.fetchAll(db, sql: """
                SELECT number || '/' || version || '/' || decision FROM decisions JOIN application_numbers ON key = application ORDER BY 1
                """)
            #expect(decisions == ["A-1/1/{\"v\":1}", "Z-9/1/{\"v\":1}", "Z-9/2/{\"v\":2}"])
            #expect(try String.fetchAll(db, sql: "SELECT application || '/' || status || '/' || level_count FROM cases") == ["1/approved/2"])
            #expect(try String.fetchAll(db, sql: "SELECT application || '/' || level || '/' || decided_by FROM case_levels ORDER BY level")
                    == ["1/0/sam", "1/1/cora"])
            #expect(try String.fetchAll(db, sql: "SELECT application || '/' || decided_by FROM case_decisions") == ["1/cora"])
            // The first versions' `submit` entries are read from the application rows since v6.
            #expect(try String.fetchAll(db, sql: "SELECT application || '/' || actor || '/' || action FROM history ORDER BY id")
                    == ["1/sam/approve"])
            // Rowid tables: new rows are appended, the key lives in the primary-key index.
            for table in ["applications", "decisions"] {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]) ?? ""
                #expect(!sql.uppercased().contains("WITHOUT ROWID"), "\(table): \(sql)")
            }
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
        try store.writer.write { db in
            // The keys, the foreign keys, uniqueness of numbers and the retention triggers still hold.
            let number = #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO application_numbers (number) VALUES ('A-1')")
            }
            #expect(number?.message == "UNIQUE constraint failed: application_numbers.number")
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE application_numbers SET number = 'B-1' WHERE key = 1") }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO applications VALUES (2, 1, 0, 'x', 0, x'00', 'h')")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO decisions VALUES (3, 1, 'r1', 'h', 'invalid', '[]', '{}', 'riskgate', 0)")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO case_levels VALUES (2, 0, 2, 3600, NULL, NULL, NULL, NULL, NULL)")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE case_levels SET decided_by = 'sam' WHERE application = 1 AND level = 1")
            }
            for table in ["decisions", "case_decisions"] {
                let error = #expect(throws: DatabaseError.self) {
                    try db.execute(sql: "DELETE FROM \(table) WHERE application = 1")
                }
                #expect(error?.message == "decision records younger than 25 months cannot be purged")
            }
        }
        try store.close()
    }

    /// v6: what the release before it stored as history shows the same after it, though a first version's entries
    /// are no longer stored. Four applications as that release left them: approved at once; referred to two levels
    /// with the first decided; invalid, then referred as version 2 (the case opened by version 2); referred,
    /// returned and resubmitted.
    @Test func firstVersionHistoryIsReadFromIntakesRowsAndShowsTheSame() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("v5.sqlite").path
        let t = 1_800_000_000.0
        typealias Entry = (at: Double, actor: String, action: String, from: String?, to: String?, level: Int?, note: String?)
        let numbers = ["A-1", "B-2", "C-3", "D-4"]
        let before: [String: [Entry]]
        do {
            let old = try DatabaseQueue(path: path)
            try Store.migrator.migrate(old, upTo: "v5: integer application keys")
            before = try await old.write { db in
                try db.execute(sql: "INSERT INTO rulesets VALUES ('r1', ?, 'admin')", arguments: [t])
                for number in numbers { try db.execute(sql: "INSERT INTO application_numbers (number) VALUES (?)", arguments: [number]) }
                // (key, version, outcome, time)
                for (key, version, outcome, at) in [(1, 1, "approved", t), (2, 1, "referred", t + 1), (3, 1, "invalid", t + 2),
                                                    (3, 2, "referred", t + 3), (4, 1, "referred", t + 4), (4, 2, "referred", t + 9)] {
                    try db.execute(sql: "INSERT INTO applications VALUES (?, ?, ?, 'branch', 0, x'7b7d', 'h')", arguments: [key, version, at])
                    try db.execute(sql: "INSERT INTO decisions VALUES (?, ?, 'r1', 'h', ?, '[]', '{}', 'rules', ?)",
                                   arguments: [key, version, outcome, at])
                }
                try db.execute(sql: """
                    INSERT INTO cases VALUES (2, 'branch', ?1 + 1, ?1 + 6, 'queued', 1, 2, 3, ?1 + 99, NULL, NULL, NULL, NULL),
                                             (3, 'branch', ?1 + 3, ?1 + 3, 'queued', 0, 1, 1, ?1 + 99, NULL, NULL, NULL, NULL),
                                             (4, 'branch', ?1 + 4, ?1 + 9, 'queued', 0, 1, 2, ?1 + 99, NULL, NULL, NULL, NULL)
                    """, arguments: [t])
                try db.execute(sql: """
                    INSERT INTO case_levels VALUES (2, 0, 2, 3600, ?1 + 99, 'approved', 'sam', ?1 + 6, NULL), (2, 1, 3, 7200, NULL, NULL, NULL, NULL, NULL),
                                                   (3, 0, 1, 3600, ?1 + 99, NULL, NULL, NULL, NULL), (4, 0, 2, 3600, ?1 + 99, NULL, NULL, NULL, NULL)
                    """, arguments: [t])
                try db.execute(sql: """
                    INSERT INTO history (application, at, actor, action, from_state, to_state, level, note) VALUES
                        (1, ?1, 'branch', 'submit', NULL, NULL, NULL, 'version 1'), (1, ?1, 'rules', 'decide', NULL, 'approved', NULL, 'r1'),
                        (2, ?1 + 1, 'branch', 'submit', NULL, NULL, NULL, 'version 1'), (2, ?1 + 1, 'rules', 'decide', NULL, 'referred', NULL, 'r1'),
                        (2, ?1 + 1, 'rules', 'open', NULL, 'queued', 0, 'tiers 2 then 3'),
                        (3, ?1 + 2, 'branch', 'submit', NULL, NULL, NULL, 'version 1'), (3, ?1 + 2, 'rules', 'decide', NULL, 'invalid', NULL, 'r1'),
                        (4, ?1 + 4, 'branch', 'submit', NULL, NULL, NULL, 'version 1'), (4, ?1 + 4, 'rules', 'decide', NULL, 'referred', NULL, 'r1'),
                        (4, ?1 + 4, 'rules', 'open', NULL, 'queued', 0, 'tiers 2'),
                        (2, ?1 + 5, 'sam', 'claim', 'queued', 'claimed', 0, NULL),
                        (3, ?1 + 3, 'branch', 'submit', NULL, NULL, NULL, 'version 2'), (3, ?1 + 3, 'rules', 'decide', NULL, 'referred', NULL, 'r1'),
                        (3, ?1 + 3, 'rules', 'open', NULL, 'queued', 0, 'tiers 1'),
                        (2, ?1 + 6, 'sam', 'approve', 'claimed', 'queued', 0, NULL),
                        (4, ?1 + 7, 'sam', 'claim', 'queued', 'claimed', 0, NULL), (4, ?1 + 8, 'sam', 'return', 'claimed', 'returned', 0, 'payslip'),
                        (4, ?1 + 9, 'branch', 'submit', NULL, NULL, NULL, 'version 2'), (4, ?1 + 9, 'rules', 'decide', NULL, 'referred', NULL, 'r1'),
                        (4, ?1 + 9, 'branch', 'resume', 'returned', 'queued', 0, NULL)
                    """, arguments: [t])
                var before: [String: [Entry]] = [:]
                for (key, number) in numbers.enumerated() {
                    before[number] = try Row.fetchAll(db, sql: """
                        SELECT at, actor, action, from_state, to_state, level, note FROM history WHERE application = ? ORDER BY id
                        """, arguments: [key + 1]).map { ($0[0], $0[1], $0[2], $0[3], $0[4], ($0[5] as Int?).map { $0 + 1 }, $0[6]) }
                }
                return before
            }
            try old.close()
        }
        #expect(before.values.map(\.count).reduce(0, +) == 20)

        let store = try Store(path: path)
        for number in numbers {
            let shown = try await store.status(of: number, at: Date(timeIntervalSince1970: t + 10)).timeline
            let expected = before[number] ?? []
            #expect(shown.count == expected.count, "\(number)")
            for (event, entry) in zip(shown, expected) {
                #expect(event.at == entry.at && event.actor == entry.actor && event.action == entry.action && event.from == entry.from
                        && event.to == entry.to && event.level == entry.level && event.note == entry.note, "\(number): \(event) ≠ \(entry)")
            }
        }
        // Only what intake's rows cannot tell is still stored: the later versions' entries and the workflow's.
        let stored = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT application || ':' || action || ':' || coalesce(note, '') FROM history ORDER BY id")
        }
        #expect(stored == ["2:claim:", "3:submit:version 2", "3:decide:r1", "3:open:tiers 1", "2:approve:", "4:claim:", "4:return:payslip",
                           "4:submit:version 2", "4:decide:r1", "4:resume:"])
        try store.close()
    }
}