public import Foundation

/// One run's journal as a portable JSON document: what `cairn export` writes and `cairn import` loads into
/// another journal — for a bug report, or to check new code against production histories with
/// `replay --check`. Payloads are JSON values (readable, compared as JSON by replay); times are ISO 8601
/// with milliseconds, as the SQLite journal keeps them. Database effects are not part of a journal's records,
/// so an archive carries none and an import writes none.
public struct RunArchive: Codable, Sendable {
    /// What the document is: always ``formatName``.
    public let format: String
    /// The document's version: ``currentVersion`` when written by this binary.
    public let version: Int
    public let runID: RunID
    public let workflow: String
    public let exportedAt: Date
    /// The run's journal records, in order.
    public let records: [ArchivedRecord]

    public static let formatName = "cairn.run-archive"
    public static let currentVersion = 1

    private enum CodingKeys: String, CodingKey {
        case format, version, runID = "runId", workflow, exportedAt, records
    }

    /// The archive of a run's records, which must begin with its start.
    public init(records: [JournalRecord], exportedAt: Date) throws {
        guard case .runStarted(let started)? = records.first else {
            throw CairnError(.journalDamaged, "a run's records must begin with its start to be archived")
        }
        format = Self.formatName
        version = Self.currentVersion
        runID = started.runID
        workflow = started.workflow
        self.exportedAt = exportedAt
        self.records = records.map(ArchivedRecord.init)
    }

    /// Reads an archive from JSON, refusing another document or a newer version with a sentence.
    public static func decode(_ data: Data) throws -> RunArchive {
        let archive: RunArchive
        do {
            archive = try CairnJSON.decoder.decode(RunArchive.self, from: data)
        } catch {
            throw CairnError(.invalidInput, "the file is not a Cairn run archive (written by `cairn export`): \(InputError.describe(error))")
        }
        guard archive.format == formatName else {
            throw CairnError(.invalidInput, "the file is a '\(archive.format)' document, not a Cairn run archive ('\(formatName)')")
        }
        guard archive.version <= currentVersion else {
            throw CairnError(.journalTooNew, "the archive is version \(archive.version), newer than this binary reads (\(currentVersion)); "
                + "import it with a newer Cairn")
        }
        return archive
    }

    /// The archive as a JSON document.
    public func encoded() throws -> Data { try CairnJSON.encoder.encode(self) }

    /// The run's records, as they were journaled.
    /// - Throws: ``CairnError`` `invalid-input` naming the record that does not say what it must.
    public func journalRecords() throws -> [JournalRecord] {
        try records.enumerated().map { index, record in
            do {
                return try record.journalRecord(of: runID)
            } catch let error as CairnError {
                throw CairnError(.invalidInput, "record \(index + 1) of the archive (\(record.kind)): \(error.message)")
            }
        }
    }
}

extension Engine {
    /// A run's journal as an archive.
    public static func export(_ run: RunID, from reader: any JournalReader, at now: Date = Date()) async throws -> RunArchive {
        try RunArchive(records: try await reader.records(for: run), exportedAt: now)
    }

    /// Loads an archived run into `journal` under its own id, in one append, as a finished run: a run that
    /// had not finished when it was exported ends with a `cancelled` record saying so (code `imported`), so
    /// nothing can resume it here — fork it to go on. Nothing is written when the id exists already.
    /// - Throws: ``CairnError`` `run-exists` when the journal has the run; `invalid-input` when the archive
    ///   does not rebuild into a run of `graph` (when given).
    public static func importRun(_ archive: RunArchive, into journal: any Journal, graph: WorkflowGraph?, at now: Date = Date()) async throws {
        var records = try archive.journalRecords()
        if try await journal.contains(archive.runID) {
            throw CairnError(.runExists, "run \(archive.runID) exists already in this journal; it was not imported again")
        }
        if case .runFinished? = records.last {} else {
            records.append(.runFinished(RunFinished(
                status: .cancelled, result: nil,
                error: RunError(.imported, "run was imported unfinished from an archive exported at "
                    + "\(archive.exportedAt.formatted(.iso8601)); it stops here: fork it to go on"),
                at: now)))
        }
        if let graph {
            do {
                _ = try rebuild(archive.runID, graph: graph, records: records)
            } catch let error as CairnError {
                throw CairnError(.invalidInput, "the archived run does not rebuild as workflow '\(graph.name)': \(error.message)")
            }
        }
        try await journal.append(records, for: archive.runID)
    }
}
