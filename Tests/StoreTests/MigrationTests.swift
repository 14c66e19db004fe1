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
            #expect(try String.fetchAll(db, sql: "SELECT application || '/' || actor || '/' || action FROM history ORDER BY id")
                    == ["2/branch/submit", "1/branch/submit", "1/sam/approve"])
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
}
