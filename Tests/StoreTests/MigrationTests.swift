import Foundation
import GRDB
@testable import Store
import Testing

/// A database written by an older release opens with every row kept and every constraint still enforced.
@Suite struct MigrationTests {
    @Test func version3KeepsApplicationsAndDecisionsAndTheirRules() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        let now = Date().timeIntervalSince1970

        // A database as the release with migrations v1 and v2 left it: two versions of one application, one of another.
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
            }
            try old.close()
        }

        let store = try Store(path: path)
        try store.writer.read { db in
            let applications = try Row.fetchAll(db, sql: "SELECT id, version, CAST(body AS TEXT) AS body, input_hash FROM applications ORDER BY id, version")
            #expect(applications.map { "\($0["id"] as String)/\($0["version"] as Int)/\($0["body"] as String)/\($0["input_hash"] as String)" }
                    == ["A-1/1/{}/hash-A-1-1", "Z-9/1/{\"a\":1}/hash-Z-9-1", "Z-9/2/{\"a\":2}/hash-Z-9-2"])
            let decisions = try String.fetchAll(db, sql: "SELECT application_id || '/' || version || '/' || decision FROM decisions ORDER BY 1")
            #expect(decisions == ["A-1/1/{\"v\":1}", "Z-9/1/{\"v\":1}", "Z-9/2/{\"v\":2}"])
            // Rowid tables now: new rows are appended, the key lives in the primary-key index.
            for table in ["applications", "decisions"] {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]) ?? ""
                #expect(!sql.uppercased().contains("WITHOUT ROWID"), "\(table): \(sql)")
            }
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
        try store.writer.write { db in
            // The keys, the foreign key and the retention trigger still hold.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO applications VALUES ('A-1', 1, 0, 'x', 0, x'00', 'h')")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO decisions VALUES ('NOPE', 1, 'r1', 'h', 'invalid', '[]', '{}', 'riskgate', 0)")
            }
            let error = #expect(throws: DatabaseError.self) {
                try db.execute(sql: "DELETE FROM decisions WHERE application_id = 'A-1'")
            }
            #expect(error?.message == "decision records younger than 25 months cannot be purged")
        }
        try store.close()
    }
}
