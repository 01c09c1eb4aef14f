import Cairn
import Foundation
import GRDB

/// Writes journal records of one run as rows, inside the committer's transaction.
struct JournalWriter {
    let db: Database
    let run: RunID
    /// The run's id as every row writes it, formatted once.
    private let id: String

    init(db: Database, run: RunID) {
        self.db = db
        self.run = run
        id = run.description
    }

    /// The position of the run's last record; 0 when it has none.
    func lastPosition() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(position), 0) FROM journal WHERE run_id = ?"), arguments: [id]) ?? 0
    }

    /// Writes `records` at the run's next positions — from `first` when the caller knows where the run's
    /// journal ends, else looked up — and returns the position after them.
    @discardableResult
    func write(_ records: [JournalRecord], from first: Int? = nil) throws -> Int {
        var position = try first ?? lastPosition() + 1
        for record in records {
            try write(record, at: position)
            position += 1
        }
        return position
    }

    private func write(_ record: JournalRecord, at position: Int) throws {
        switch record {
        case .runStarted(let started):
            try writeStart(started, status: .running, at: position)
        case .executionStarted(let start):
            try log(position, .executionStarted, execution: start.executionID, step: start.step, attempt: start.attempt,
                    triggers: JournalRows.json(seqs: start.triggers), at: start.at)
        case .executionFinished(let finish):
            try writeFinish(finish, at: position)
        case .sideEffect(let effect):
            try run(sql: """
                INSERT INTO side_effect (run_id, execution_id, key, attempt, result, position, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, effect.executionID, effect.key, effect.attempt, text(effect.result), position, Timestamp.text(effect.at)])
            try log(position, .sideEffect, execution: effect.executionID, attempt: effect.attempt, detail: effect.key, at: effect.at)
        case .eventsReceived(let received):
            try log(position, .eventsReceived, detail: received.refused.isEmpty ? nil : try json(received.refused), at: received.at)
            for event in received.events { try insert(event, position: position, at: received.at) }
            try run(sql: "UPDATE run SET status = 'running', wake_at = NULL WHERE run_id = ? AND status = 'waiting'", arguments: [id])
        case .timersFired(let due):
            try log(position, .timersFired, triggers: JournalRows.json(seqs: due.events), detail: due.waits.isEmpty ? nil : try json(due.waits), at: due.at)
            try run(sql: "UPDATE run SET status = 'running', wake_at = NULL WHERE run_id = ? AND status = 'waiting'", arguments: [id])
        case .waitOpened(let opened):
            try log(position, .waitOpened, execution: opened.wait.executionID, attempt: opened.attempt, retryAt: opened.deadline,
                    detail: try json(WaitDetail(key: opened.wait.key, name: opened.name)), at: opened.at)
        case .waitAnswered(let answered):
            try log(position, .waitAnswered, execution: answered.wait.executionID, triggers: JournalRows.json(seqs: [answered.seq]),
                    detail: try json(WaitDetail(key: answered.wait.key, name: nil)), at: answered.at)
        case .runWaiting(let waiting):
            try log(position, .runWaiting, retryAt: waiting.wakeAt, detail: try json(WaitingDetail(reasons: waiting.reasons, events: waiting.events)),
                    at: waiting.at)
            try run(sql: "UPDATE run SET status = 'waiting', wake_at = ? WHERE run_id = ? AND finished_at IS NULL",
                    arguments: [waiting.wakeAt.map(Timestamp.text), id])
        case .runInterrupted(let interrupted):
            try log(position, .runInterrupted,
                    detail: try json(InterruptDetail(abandoned: interrupted.abandoned, reason: interrupted.reason)), at: interrupted.at)
        case .runResumed(let resumed):
            // The takeover, for audits: who owns the run from here, under which lease epoch.
            let lease = try Row.fetchOne(db.cachedStatement(sql: "SELECT owner, epoch FROM lease WHERE run_id = ?"), arguments: [id])
            let detail = lease.map { ResumeDetail(owner: $0["owner"], epoch: $0["epoch"]) }
            // A fixed binary reopening a dead letter (RunFinished.isDeadLetter): the run is running again.
            try run(sql: """
                UPDATE run SET status = 'running', result = NULL, error = NULL, finished_at = NULL
                WHERE run_id = ? AND status = 'failed' AND json_extract(error, '$.code') = ?
                """, arguments: [id, CairnError.Code.unrebuildable.description])
            try log(position, .runResumed, detail: try detail.map { try json($0) }, at: resumed.at)
        case .runFinished(let finished):
            try run(sql: "UPDATE run SET status = ?, result = ?, error = ?, finished_at = ?, wake_at = NULL WHERE run_id = ?",
                           arguments: [finished.status.rawValue, finished.result.map(text), try finished.error.map { try json($0) },
                                       Timestamp.text(finished.at), id])
            try reportEnd(finished)
            try log(position, .runFinished, detail: finished.status.rawValue, at: finished.at)
        }
    }

    /// A run's start: its row (status `running` when its writer drives it, `pending` when a commit of another
    /// run started it for whoever claims it), its start record, start event and seeded store.
    func writeStart(_ started: RunStarted, status: RunStatus, at position: Int) throws {
        try run(sql: """
            INSERT INTO run (run_id, workflow, fingerprint, shape, version, seed, input, status, deadline, created_at,
                             origin_run_id, origin_seq, continued_from, accepts, parent_run_id, parent_execution, published_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, started.workflow, started.fingerprint, started.shape, started.version,
                             started.seed.map { Int64(bitPattern: $0) }, text(started.start.payload), status.rawValue,
                             started.deadline.map(Timestamp.text), Timestamp.text(started.at),
                             started.origin?.run.description, started.origin?.seq, started.continuedFrom?.description,
                             started.accepts.isEmpty ? nil : try json(started.accepts), started.parent?.run.description,
                             started.parent?.executionID, started.parent?.publishedSeq])
        let detail = started.patches.isEmpty && started.parent == nil ? nil : StartDetail(patches: started.patches, link: started.parent)
        try log(position, .runStarted, detail: try detail.map { try json($0) }, at: started.at)
        try insert(started.start, position: position, at: started.at)
        try insert(started.store, position: position)
    }

    private func writeFinish(_ finish: ExecutionFinished, at position: Int) throws {
        let (error, retryAt): (String?, Date?) = switch finish.outcome {
        case .completed: (nil, nil)
        case .failed(let message, let retryAt): (message, retryAt)
        case .timedOut(let retryAt): (nil, retryAt)
        case .abandoned: (nil, nil)
        }
        let startedAt = finish.startedAt.timeIntervalSince1970
        let detail = finish.recorded.isEmpty
            ? #"{"recorded":[],"startedAt":\#(startedAt)}"#
            : try json(FinishDetail(startedAt: startedAt, recorded: finish.recorded))
        try log(position, .executionFinished, execution: finish.executionID, step: finish.step, attempt: finish.attempt,
                outcome: OutcomeColumn(finish.outcome), error: error, retryAt: retryAt,
                triggers: try JournalRows.json(triggers: finish.triggers), detail: detail, at: finish.at)
        for event in finish.emitted { try insert(event, position: position, at: finish.at) }
        for event in finish.streamed {
            try run(sql: """
                INSERT INTO stream_event (run_id, stream_position, name, payload, step, position) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, event.position, event.name, text(event.payload), event.step, position])
        }
        try insert(finish.storeWrites, position: position)
        do {
            for message in finish.messages {
                _ = try InboxQuery.write(db, message.inboxMessage(from: run), to: message.target, journal: "this journal")
            }
            for started in finish.starts {
                guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM run WHERE run_id = ?"), arguments: [started.runID.description]) == nil else {
                    throw CairnError.startsExistingRun(started.runID)
                }
                try JournalWriter(db: db, run: started.runID).writeStart(started, status: .pending, at: 1)
            }
        } catch let error as CairnError {
            throw CommitEffectError(executionID: finish.executionID, attempt: finish.attempt, step: finish.step, reason: error.message)
        }
        let origin = finish.origin(in: run)
        for effect in finish.effects {
            guard let effect = effect as? any DatabaseEffect else {
                throw CairnError(.unsupportedEffect, "step '\(finish.step)' committed a \(type(of: effect)), which the SQLite journal "
                    + "cannot apply: make it a DatabaseEffect", step: finish.step)
            }
            do {
                try effect.apply(in: SQLiteTransaction(db: db), origin: origin)
            } catch let error as DatabaseError where Self.isStorageFailure(error) {
                throw error  // the disk, not the effect: the whole append fails
            } catch {
                throw CommitEffectError(executionID: finish.executionID, attempt: finish.attempt, step: finish.step, reason: "\(error)")
            }
        }
    }

    /// Errors of the storage itself, as opposed to a write the effect got wrong (a constraint, say).
    private static func isStorageFailure(_ error: DatabaseError) -> Bool {
        [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_CANTOPEN]
            .contains(error.resultCode.primaryResultCode)
    }

    private func insert(_ writes: [StoreWrite], position: Int) throws {
        for write in writes {
            try run(sql: "INSERT INTO store_write (run_id, position, key, value) VALUES (?, ?, ?, ?)",
                    arguments: [id, position, write.key, text(write.value)])
        }
    }

    private func insert(_ event: JournaledEvent, position: Int, at: Date) throws {
        try run(sql: """
            INSERT INTO event (run_id, seq, name, payload, execution_id, target, inbox_seq, deliver_at, answers_execution, answers_key,
                               published, position, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, event.seq, event.name, text(event.payload), event.executionID, event.target, event.inboxSeq,
                             event.deliverAt.map(Timestamp.text), event.answers?.executionID, event.answers?.key, event.published ? 1 : nil,
                             position, Timestamp.text(at)])
    }

    /// Writes the end of a child run into its parent's inbox (``ChildRunEnded``) when the parent takes it; a parent
    /// that ended takes nothing, and that does not stop the child ending.
    private func reportEnd(_ finished: RunFinished) throws {
        guard let detail = try String.fetchOne(db.cachedStatement(sql: """
                  SELECT journal.detail FROM run JOIN journal ON journal.run_id = run.run_id AND journal.position = 1
                  WHERE run.run_id = ? AND run.parent_run_id IS NOT NULL
                  """), arguments: [id]),
              let link = try JSONDecoder().decode(StartDetail.self, from: Data(detail.utf8)).link,
              let report = finished.endReport(of: run, to: link) else { return }
        do {
            _ = try InboxQuery.write(db, report, to: link.run, journal: "this journal")
        } catch is CairnError {
            // The parent ended, or no longer takes it: nobody is waiting for this end.
        }
    }

    private func log(
        _ position: Int, _ kind: RecordKind, execution: Int? = nil, step: String? = nil, attempt: Int? = nil, outcome: OutcomeColumn? = nil,
        error: String? = nil, retryAt: Date? = nil, triggers: String? = nil, detail: String? = nil, at: Date
    ) throws {
        try run(sql: """
            INSERT INTO journal (run_id, position, kind, execution_id, step, attempt, outcome, error, retry_at, triggers, detail, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, position, kind, execution, step, attempt, outcome, error, retryAt.map(Timestamp.text), triggers,
                             detail, Timestamp.text(at)])
    }

    /// Runs one statement from the connection's statement cache: the journal writes the same few
    /// statements over and over, and compiling them each time cost more than running them (measured).
    private func run(sql: String, arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    private func json(_ value: some Encodable) throws -> String { text(try Self.encoder.encode(value)) }

    /// One encoder for every record: making one per record cost more than encoding it.
    private static let encoder = JSONEncoder()
}
