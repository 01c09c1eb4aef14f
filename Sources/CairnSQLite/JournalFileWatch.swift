import Cairn

/// Notices a journal file or write-ahead log deleted or replaced under the writer: SQLite goes on writing
/// to the unlinked file, so every commit would look durable while the data is gone. Checked after each
/// group commit, on the committer's thread (two `stat` calls per transaction).
struct JournalFileWatch {
    let path: String
    private let journal: JournalFile.Identity?
    private var log: JournalFile.Identity?

    init(path: String) {
        self.path = path
        journal = JournalFile.Identity(path)
        log = JournalFile.Identity(path + "-wal")
    }

    /// Throws when the journal or its WAL is no longer the file this writer opened.
    mutating func check() throws {
        let log = JournalFile.Identity(path + "-wal")
        if self.log == nil { self.log = log }  // the WAL is created with the first write after opening
        guard JournalFile.Identity(path) == journal, journal != nil, log == self.log, log != nil else {
            throw CairnError(.journalUnavailable, "the journal \(path) or its write-ahead log (\(path)-wal) was deleted or replaced "
                + "while this process was writing to it, so its last commits may be lost; stop every process using it, "
                + "then run cairn db check, or restore a copy made with cairn db backup")
        }
    }
}
