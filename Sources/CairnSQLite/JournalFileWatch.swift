import Cairn
import Foundation

/// Notices a journal file or write-ahead log deleted or replaced under the writer: SQLite goes on writing
/// to the unlinked file, so every commit would look durable while the data is gone. Checked after each
/// group commit, on the committer's thread (two `fstat` and two `stat` calls per transaction).
///
/// It holds each file open: a file deleted while held keeps its inode, so a new file at the same path (a
/// reader connection may create a new log at once) can never reuse its number and pass for it — and the held
/// file's link count says it was deleted, whatever stands at the path now.
struct JournalFileWatch {
    let path: String
    private let journal: HeldFile?
    private var log: HeldFile?

    init(path: String) {
        self.path = path
        journal = HeldFile(path)
        log = HeldFile(path + "-wal")
    }

    /// Throws when the journal or its WAL is no longer the file this writer opened.
    mutating func check() throws {
        if log == nil { log = HeldFile(path + "-wal") }  // the WAL is created with the first write after opening
        guard let journal, journal.isStill(at: path), let log, log.isStill(at: path + "-wal") else {
            throw CairnError(.journalUnavailable, "the journal \(path) or its write-ahead log (\(path)-wal) was deleted or replaced "
                + "while this process was writing to it, so its last commits may be lost; stop every process using it, "
                + "then run cairn db check, or restore a copy made with cairn db backup")
        }
    }
}

/// A file held open for reading, to tell whether it is still the one at its path.
final class HeldFile: Sendable {
    private let descriptor: Int32

    init?(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Whether the held file is not deleted and is the file at `path`.
    func isStill(at path: String) -> Bool {
        var held = stat(), there = stat()
        guard fstat(descriptor, &held) == 0, held.st_nlink > 0, stat(path, &there) == 0 else { return false }
        return held.st_dev == there.st_dev && held.st_ino == there.st_ino
    }
}
