import Cairn
import Foundation
import GRDB

/// The journal's file on disk: what is at its path, found without changing anything there; creating it
/// private to its owner; opening it read-only, on a read-only mount too.
enum JournalFile {
    /// What a path holds.
    enum Contents {
        /// No file, or an empty (0-byte) one: a journal only once a writing command creates it.
        case none
        /// A Cairn journal, with the migrations applied to it.
        case journal(applied: [String])
    }

    /// What is at `path`, read without creating, migrating or changing the journal mode of anything.
    /// - Parameter checkingIntegrity: refuse a journal SQLite finds damaged (`PRAGMA quick_check`, which
    ///   reads every page once: about 0.7 s for a 1 GB journal in the page cache). Writing commands check,
    ///   before opening for writing, which itself touches the file's header.
    /// - Throws: ``CairnError`` `journal-unavailable` for a file that is not SQLite, or an SQLite database
    ///   of something else; `journal-damaged`.
    static func contents(_ path: String, checkingIntegrity: Bool = false) throws -> Contents {
        guard hasData(path) else { return .none }
        let queue = try openReadOnly(path)
        defer { try? queue.close() }
        return try contents(of: queue, path: path, checkingIntegrity: checkingIntegrity)
    }

    /// ``contents(_:checkingIntegrity:)`` of a file open already (read-only).
    static func contents(of queue: DatabaseQueue, path: String, checkingIntegrity: Bool = false) throws -> Contents {
        let applied = try read(queue) { db in
            let applied = try JournalMigrator.applied(db)
            try JournalMigrator.refuseForeign(db, applied: Set(applied), path: path)
            if checkingIntegrity { try refuseDamaged(db, path: path) }
            return applied
        }
        return applied.isEmpty ? .none : .journal(applied: applied)
    }

    /// Whether there is a file at `path` with anything in it (a 0-byte file is no journal yet).
    static func hasData(_ path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 0
    }

    /// Creates an empty file at `path` readable and writable by its owner only (the journal holds inputs,
    /// results and the ledger); SQLite gives the WAL and shared-memory files the same mode. An existing file
    /// is left as it is.
    static func createPrivately(_ path: String) throws {
        let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CairnError(.journalUnavailable, "cannot create journal \(path): \(String(cString: strerror(errno))); check the directory")
        }
        close(descriptor)
    }

    /// A read-only connection to `path`. Where SQLite cannot open it so (a WAL journal on a read-only mount,
    /// or an immutable file, whose shared-memory index cannot be created), the file is opened as immutable:
    /// nothing can be writing to it then.
    static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
            return queue
        } catch let error as DatabaseError where isWritable(path) == false && error.resultCode != .SQLITE_NOTADB {
            return try DatabaseQueue(path: immutableURI(path), configuration: configuration)
        } catch {
            throw SQLiteJournal.describe(error)
        }
    }

    private static func refuseDamaged(_ db: Database, path: String) throws {
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
        guard problems != ["ok"] else { return }
        let first = problems.flatMap { $0.split(separator: "\n") }.first { !$0.hasPrefix("*** in database") } ?? ""
        throw CairnError(.journalDamaged, "the journal \(path) is damaged (\(first)), so nothing new is written to it; "
            + "run cairn db check to see the damage, and restore a copy made with cairn db backup")
    }

    /// Whether this process could write the file and create files beside it.
    static func isWritable(_ path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        return access(path, W_OK) == 0 && access(directory.isEmpty ? "." : directory, W_OK) == 0
    }

    private static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:\(absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute)?immutable=1"
    }

    private static func read<T>(_ queue: DatabaseQueue, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as CairnError {
            throw error
        } catch {
            throw SQLiteJournal.describe(error)
        }
    }
}
