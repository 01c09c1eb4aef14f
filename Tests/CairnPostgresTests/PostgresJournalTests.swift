import Cairn
@testable import CairnPostgres
import CairnTesting
import Foundation
import PostgresNIO
import PostgresTestSupport
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Selecting and opening a PostgreSQL journal: URLs and passwords (no server needed), then against a real server —
/// migrations under an advisory lock, refusals of a database of something else and of a newer journal.
@Suite("PostgreSQL: locations")
struct PostgresLocationTests {
    @Test("a postgres:// URL gives host, port, user, database and sslmode; its description never shows the password")
    func parsesAndRedacts() throws {
        let location = try PostgresLocation("postgres://cairn:s3cr%40t@db.internal:6543/journal?sslmode=require", environment: [:])
        #expect(location.host == "db.internal" && location.port == 6543 && location.user == "cairn" && location.database == "journal")
        #expect(location.password == "s3cr@t" && location.sslMode == "require")
        #expect(location.description == "postgres://cairn:***@db.internal:6543/journal?sslmode=require")
        #expect(PostgresLocation.isURL("postgresql://x@y/z") && !PostgresLocation.isURL("cairn.sqlite"))
    }

    @Test("without a password in the URL, PGPASSWORD, else the file CAIRN_DB_PASSWORD_FILE names")
    func passwordSources() throws {
        #expect(try PostgresLocation("postgres://u@h/d", environment: ["PGPASSWORD": "p1"]).password == "p1")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-pw-\(UUID())")
        try "p2\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try PostgresLocation("postgres://u@h/d", environment: ["CAIRN_DB_PASSWORD_FILE": file.path]).password == "p2")
        #expect(try PostgresLocation("postgres://u:p0@h/d", environment: ["PGPASSWORD": "p1"]).password == "p0")
        #expect(try PostgresLocation("postgres://u@h/d", environment: [:]).password == nil)
    }

    @Test("a URL that is wrong is one sentence naming what, without the password", arguments: [
        ("postgres://cairn:hunter2@/journal", "is not a PostgreSQL URL"),
        ("postgres://:hunter2@host/journal", "names no user"),
        ("postgres://cairn:hunter2@host", "names no database"),
        ("postgres://cairn:hunter2@host/j?sslmode=maybe", "sslmode 'maybe'"),
        ("postgres://cairn:hunter2@host/j?timeout=3", "parameter 'timeout'"),
        ("postgres://cairn:hunter2@host/j?sslmode=require&sslrootcert=/etc/ssl/ca.pem", "only sslmode=verify-full checks"),
    ])
    func badURLs(url: String, says: String) throws {
        let error = try #require(throws: CairnError.self) { try PostgresLocation(url, environment: [:]) }
        #expect(error.code == .invalidInput && error.message.contains(says) && !error.message.contains("hunter2"), "\(error.message)")
    }

    @Test("sslrootcert is read as the URL is parsed: a file that holds no certificate is one sentence naming it")
    func unreadableRootCertificate() throws {
        let error = try #require(throws: CairnError.self) {
            try PostgresLocation("postgres://cairn:hunter2@host/j?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", environment: [:])
        }
        #expect(error.code == .fileNotFound && error.message.contains("/nonexistent/ca.pem") && !error.message.contains("hunter2"), "\(error.message)")
    }

    @Test("the migrations compiled into the binary are exactly Migrations/postgres/*.sql")
    func embeddedMigrationsMatchSources() throws {
        let folder = repositoryRoot.appendingPathComponent("Migrations/postgres")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == PostgresMigrations.all.map(\.identifier), "run Scripts/generate-migrations.py")
        for (file, migration) in zip(files, PostgresMigrations.all) {
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(sql.trimmingCharacters(in: .newlines) == migration.sql.trimmingCharacters(in: .newlines), "run Scripts/generate-migrations.py")
        }
    }
}

@Suite("PostgreSQL: opening a journal", .enabled(if: PostgresServer.url != nil, PostgresServer.skipReason), .hangGuard)
struct PostgresOpeningTests {
    @Test("eight workers opening a new database at once migrate it once; opening again changes nothing")
    func concurrentFirstOpens() async throws {
        try await PostgresServer.withFreshDatabase { location in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.openAndClose(location) } }
                try await group.waitForAll()
            }
            let applied = try await Self.applied(location)
            #expect(applied == PostgresMigrations.all.map(\.identifier))
            try await Self.openAndClose(location)
            #expect(try await Self.applied(location) == applied)
            let tables = try await PostgresServer.admin(location) { connection in
                try await connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: PostgresServer.logger)
                    .decode(String.self).reduce(into: []) { $0.append($1) }
            }
            #expect(tables.contains("journal") && tables.contains("lease") && tables.contains("inbox") && tables.contains("run"))
        }
    }

    @Test("a database of something else is refused with a sentence and left as it was")
    func foreignDatabaseRefused() async throws {
        try await PostgresServer.withFreshDatabase { location in
            try await PostgresServer.admin(location) { try await $0.query("CREATE TABLE customers (id int)", logger: PostgresServer.logger) }
            let error = try await #require(throws: CairnError.self) { try await PostgresJournal.open(location) }
            #expect(error.code == .journalUnavailable && error.message.contains("holds tables of something else"), "\(error.message)")
            let tables = try await PostgresServer.admin(location) { connection in
                try await connection.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", logger: PostgresServer.logger)
                    .decode(Int.self).reduce(0) { $1 }
            }
            #expect(tables == 1)
        }
    }

    @Test("a journal a newer Cairn migrated is refused (journal-too-new), and nothing is applied")
    func newerJournalRefused() async throws {
        try await PostgresServer.withFreshDatabase { location in
            try await Self.openAndClose(location)
            try await PostgresServer.admin(location) {
                try await $0.query("INSERT INTO cairn_migration (identifier) VALUES ('9999_from_the_future')", logger: PostgresServer.logger)
            }
            let error = try await #require(throws: CairnError.self) { try await PostgresJournal.open(location) }
            #expect(error.code == .journalTooNew && error.message.contains("9999_from_the_future"), "\(error.message)")
        }
    }

    @Test("a wrong password and a closed port are one sentence each, the password in neither")
    func unreachable() async throws {
        let server = try PostgresLocation(try #require(PostgresServer.url))
        let wrong = try PostgresLocation("postgres://\(server.user):not-the-password@\(server.host):\(server.port)/\(server.database)")
        let refused = try await #require(throws: CairnError.self) { try await PostgresJournal.open(wrong) }
        #expect(refused.code == .journalUnavailable && refused.message.contains("password authentication failed")
                && !refused.message.contains("not-the-password"), "\(refused.message)")
        let closed = try PostgresLocation("postgres://cairn:not-the-password@127.0.0.1:1/\(server.database)")
        let unreachable = try await #require(throws: CairnError.self) { try await PostgresJournal.open(closed) }
        #expect(unreachable.code == .journalUnavailable && unreachable.message.hasPrefix("cannot open the journal postgres://cairn:***@127.0.0.1:1/")
                && !unreachable.message.contains("not-the-password"), "\(unreachable.message)")
    }

    @Test("TLS as the URL asks: require encrypts; verify-full refuses a certificate no trusted authority signed, and trusts it through sslrootcert")
    func tls() async throws {
        let authority = try #require(ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_CA"],
                                     "CAIRN_TEST_POSTGRES_CA is not set: Scripts/postgres.sh starts the server with TLS and sets it")
        try await PostgresServer.withFreshDatabase { location in
            let url = "postgres://\(location.user):\(location.password ?? "")@\(location.host):\(location.port)/\(location.database)"
            /// Whether the journal's pooled connections are encrypted, as the server sees one of them.
            func encrypted(_ parameters: String) async throws -> Bool {
                let journal = try await PostgresJournal.open(try PostgresLocation(url + parameters))
                defer { Task { await journal.close() } }
                let result = try await journal.read("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])
                return result.rows.first?.first == .integer(1)
            }
            #expect(try await encrypted("") == false)
            #expect(try await encrypted("?sslmode=require"))
            #expect(try await encrypted("?sslmode=verify-full&sslrootcert=\(authority)"))
            let untrusted = try await #require(throws: CairnError.self) { try await encrypted("?sslmode=verify-full") }
            #expect(untrusted.code == .journalUnavailable && untrusted.message.contains("certificate")
                    && untrusted.message.split(separator: "\n").count == 1 && !untrusted.message.contains(location.password ?? "-"),
                    "\(untrusted.message)")
        }
    }

    @Test("a transaction whose session the server ends fails at once as journal-unavailable, and the next runs on a new connection", arguments: [false, true])
    func sessionEndedInTransaction(queryAfter: Bool) async throws {
        try await PostgresServer.withFreshDatabase { location in
            let journal = try await PostgresJournal.open(location)
            defer { Task { await journal.close() } }
            let ended = try await #require(throws: CairnError.self) {
                try await journal.transaction { connection in
                    let session = try await connection.query("SELECT pg_backend_pid()", logger: PostgresServer.logger).decode(Int32.self)
                        .reduce(0) { $1 }
                    try await PostgresServer.admin(location) {
                        try await $0.query("SELECT pg_terminate_backend(\(session))", logger: PostgresServer.logger)
                    }
                    // The session is gone: a query after it fails, and so does the transaction without one.
                    if queryAfter { try await connection.answered("SELECT 1", logger: PostgresServer.logger) }
                    throw CairnError(.internalInconsistency, "the step failed")
                }
            }
            #expect(ended.code == .journalUnavailable || ended.message == "the step failed", "\(ended.message)")
            #expect(try await journal.transaction { try await $0.query("SELECT 1 AS one", logger: PostgresServer.logger).decode(Int.self).reduce(0) { $1 } } == 1)
        }
    }

    @Test("a query postgres-nio never answers — written as its connection closed — is given up a moment after the close, and the journal goes on")
    func lostAnswer() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let journal = try await PostgresJournal.open(location)
            defer { Task { await journal.close() } }
            let lost = try await #require(throws: CairnError.self) {
                try await journal.transaction { connection in
                    try await connection.close()
                    // What PostgresConnection.answered cannot catch: the connection closing between its check and the write.
                    try await connection.query("SELECT 1", logger: PostgresServer.logger)
                }
            }
            #expect(lost.code == .journalUnavailable && lost.message.contains("ended the connection"), "\(lost.message)")
            #expect(try await journal.transaction { try await $0.rows("SELECT 1 AS one", logger: PostgresServer.logger).count } == 1)
        }
    }

    @Test("a statement the server cancels (statement_timeout) rolls its transaction back, and its connection serves the next")
    func cancelledStatement() async throws {
        try await PostgresServer.withFreshDatabase { location in
            let journal = try await PostgresJournal.open(location)
            defer { Task { await journal.close() } }
            for _ in 0..<3 {  // the pool's idle connection is used again each time
                await #expect(throws: (any Error).self) {
                    try await journal.transaction { connection in
                        try await connection.answered("SET LOCAL statement_timeout = 20", logger: PostgresServer.logger)
                        try await connection.execute("SELECT pg_sleep(5)", logger: PostgresServer.logger)
                    }
                }
                #expect(try await journal.transaction { try await $0.rows("SELECT 1 AS one", logger: PostgresServer.logger).count } == 1)
            }
        }
    }

    static func openAndClose(_ location: PostgresLocation) async throws {
        let journal = try await PostgresJournal.open(location)
        await journal.close()
    }

    static func applied(_ location: PostgresLocation) async throws -> [String] {
        try await PostgresServer.admin(location) { connection in
            try await connection.query("SELECT identifier FROM cairn_migration ORDER BY applied_at, identifier", logger: PostgresServer.logger)
                .decode(String.self).reduce(into: []) { $0.append($1) }
        }
    }
}
