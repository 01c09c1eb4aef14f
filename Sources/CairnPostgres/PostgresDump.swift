import Cairn
public import Foundation
public import Logging
import PostgresNIO

/// `cairn db backup` on PostgreSQL: the database dumped by PostgreSQL's own `pg_dump`, in its custom format — one
/// consistent snapshot while workers write, restored with `pg_restore` into an empty database.
public enum PostgresDump {
    /// Dumps the database at `location` to `destination`, a new file only its owner can read. The password reaches
    /// `pg_dump` in its environment (`PGPASSWORD`), never on its command line, where `ps` would show it.
    /// - Throws: `invalid-input` when `destination` exists; `file-not-found` without `pg_dump` on `PATH`, or when the
    ///   database holds no Cairn journal (a wrong `--db`: nothing is dumped, nothing created); `journal-unavailable`
    ///   when the server refuses, with its own words or `pg_dump`'s (the partial file is removed).
    public static func dump(_ location: PostgresLocation, to destination: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = Logger(label: "cairn.postgres")) async throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CairnError(.invalidInput, "\(destination) exists already; back up to a new file")
        }
        guard let program = executable("pg_dump", in: environment) else {
            throw CairnError(.fileNotFound, "backing up a PostgreSQL journal runs pg_dump, which is not on PATH; "
                + "install PostgreSQL's client programs (Debian: apt-get install postgresql-client)")
        }
        guard try await holdsJournal(location, logger: logger) else {
            throw CairnError(.fileNotFound, "the database \(location) holds no Cairn journal; nothing was backed up; check --db")
        }
        let descriptor = open(destination, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CairnError(.journalUnavailable, "cannot create \(destination): \(String(cString: strerror(errno))); check the directory")
        }
        close(descriptor)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = ["--format=custom", "--no-password", "--file", destination]
        process.environment = environment.merging(location.libpqEnvironment) { _, libpq in libpq }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw CairnError(.journalUnavailable, "could not start \(program): \(error.localizedDescription)")
        }
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: destination)
            let reason = said.split(separator: "\n").first { $0.contains("error:") }.map(String.init) ?? said.trimmingCharacters(in: .whitespacesAndNewlines)
            let words = reason.replacingOccurrences(of: "pg_dump: error: ", with: "").replacingOccurrences(of: "FATAL:  ", with: "")
            throw CairnError(.journalUnavailable, "could not back up \(location) with pg_dump: \(PostgresLocation.redacted(words))")
        }
    }

    /// Whether the database has a journal's migrations table; asked on a connection of its own, changing nothing.
    private static func holdsJournal(_ location: PostgresLocation, logger: Logger) async throws -> Bool {
        var connection: PostgresConnection?
        do {
            let opened = try await PostgresConnection.connect(configuration: try location.connectionConfiguration, id: 0, logger: logger)
            connection = opened
            let found = try await PostgresMigrator.holdsJournal(opened, logger: logger)
            try? await opened.close()
            return found
        } catch {
            try? await connection?.close()
            throw CairnError(.journalUnavailable, "could not back up \(location): \(PostgresJournal.reason(error, location))")
        }
    }

    /// The first `name` on the environment's `PATH` that can be run.
    private static func executable(_ name: String, in environment: [String: String]) -> String? {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension PostgresLocation {
    /// The location as libpq's environment variables, for PostgreSQL's own programs.
    var libpqEnvironment: [String: String] {
        var variables = ["PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": database, "PGSSLMODE": sslMode]
        if let password { variables["PGPASSWORD"] = password }
        if let sslRootCertificate { variables["PGSSLROOTCERT"] = sslRootCertificate }
        return variables
    }
}
