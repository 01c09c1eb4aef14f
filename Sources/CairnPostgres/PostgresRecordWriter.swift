import Cairn
import Foundation
import Logging
import PostgresNIO

/// Writes journal records of one run as rows inside the append's transaction: the SQLite journal's row format
/// (``RecordKind``, the `journal.detail` JSON of ``JournalRows``), in PostgreSQL's types. The rows are gathered
/// (``PendingRows``) and written together when the records are; what changes other rows — a run's status, another
/// run's inbox, a run started, a domain's effects — is done as each record comes.
struct PostgresRecordWriter {
    let connection: PostgresConnection
    let run: RunID
    let logger: Logger
    /// Rows not yet written, shared with the writers of runs this append starts.
    var pending = PendingRows()
    /// Writing records another journal holds already (`cairn db copy`): each says what happened as it was (a
    /// takeover's owner and epoch), and what they did to other runs (a child's end in its parent's inbox) is copied
    /// with those runs, not done again.
    var copying = false

    private var id: UUID { run.uuid }

    /// Writes `records` at the run's positions from `first` (the fence read the last one) and returns the position after them.
    @discardableResult
    func write(_ records: [JournalRecord], from first: Int) async throws -> Int {
        var position = first
        for record in records {
            try await add(record, at: position)
            position += 1
        }
        try await pending.flush(on: connection, logger: logger)
        return position
    }

    private func add(_ record: JournalRecord, at position: Int) async throws {
        switch record {
        case .runStarted(let started):
            try await addStart(started, status: .running, at: position)
        case .executionStarted(let start):
            log(position, .executionStarted, execution: start.executionID, step: start.step, attempt: start.attempt,
                          triggers: JournalRows.json(seqs: start.triggers), at: start.at)
        case .executionFinished(let finish):
            try await writeFinish(finish, at: position)
        case .sideEffect(let effect):
            pending.add(PendingRows.SideEffect(run_id: id, execution_id: effect.executionID, key: effect.key, attempt: effect.attempt,
                                               result: text(effect.result), position: position, at: PendingRows.time(effect.at)))
            log(position, .sideEffect, execution: effect.executionID, attempt: effect.attempt, detail: effect.key, at: effect.at)
        case .eventsReceived(let received):
            log(position, .eventsReceived, detail: received.refused.isEmpty ? nil : try json(received.refused), at: received.at)
            for event in received.events { insert(event, position: position, at: received.at) }
            try await execute("UPDATE run SET status = 'running', wake_at = NULL WHERE run_id = \(id) AND status = 'waiting'")
        case .timersFired(let due):
            log(position, .timersFired, triggers: JournalRows.json(seqs: due.events),
                          detail: due.waits.isEmpty ? nil : try json(due.waits), at: due.at)
            try await execute("UPDATE run SET status = 'running', wake_at = NULL WHERE run_id = \(id) AND status = 'waiting'")
        case .waitOpened(let opened):
            log(position, .waitOpened, execution: opened.wait.executionID, attempt: opened.attempt, retryAt: opened.deadline,
                          detail: try json(WaitDetail(key: opened.wait.key, name: opened.name)), at: opened.at)
        case .waitAnswered(let answered):
            log(position, .waitAnswered, execution: answered.wait.executionID, triggers: JournalRows.json(seqs: [answered.seq]),
                          detail: try json(WaitDetail(key: answered.wait.key, name: nil)), at: answered.at)
        case .runWaiting(let waiting):
            log(position, .runWaiting, retryAt: waiting.wakeAt,
                          detail: try json(WaitingDetail(reasons: waiting.reasons, events: waiting.events)), at: waiting.at)
            try await execute("UPDATE run SET status = 'waiting', wake_at = \(waiting.wakeAt) WHERE run_id = \(id) AND finished_at IS NULL")
            if waiting.wakeAt != nil { try await connection.notifyRunnable(logger: logger) }  // a timer armed: workers look again
        case .runInterrupted(let interrupted):
            log(position, .runInterrupted,
                          detail: try json(InterruptDetail(abandoned: interrupted.abandoned, reason: interrupted.reason)), at: interrupted.at)
        case .runResumed(let resumed):
            // The takeover, for audits: who owns the run from here, under which lease epoch.
            let lease = try await connection.rows("SELECT owner, epoch FROM lease WHERE run_id = \(id)", logger: logger).first
            var detail = try lease.map { ResumeDetail(owner: try $0["owner"], epoch: try $0["epoch", as: Int.self]) }
            if copying { detail = resumed.owner.map { ResumeDetail(owner: $0, epoch: resumed.epoch ?? 0) } }
            // A fixed binary reopening a dead letter (RunFinished.isDeadLetter): the run is running again.
            try await execute("""
                UPDATE run SET status = 'running', result = NULL, error = NULL, finished_at = NULL
                WHERE run_id = \(id) AND status = 'failed' AND (error::jsonb ->> 'code') = \(CairnError.Code.unrebuildable.description)
                """)
            log(position, .runResumed, detail: try detail.map { try json($0) }, at: resumed.at)
        case .runFinished(let finished):
            let error = try finished.error.map { try json($0) }
            try await execute("""
                UPDATE run SET status = \(finished.status.rawValue), result = \(finished.result.map(text)), error = \(error),
                    finished_at = \(finished.at), wake_at = NULL
                WHERE run_id = \(id)
                """)
            if !copying {
                try await pending.flush(on: connection, logger: logger)  // the run's start row, when this append holds it
                try await reportEnd(finished)
            }
            log(position, .runFinished, detail: finished.status.rawValue, at: finished.at)
        }
    }

    /// Writes a run's start, pending (``enqueue``): its row, start record, start event and seeded store.
    func writePending(_ started: RunStarted) async throws {
        try await addStart(started, status: .pending, at: 1)
        try await pending.flush(on: connection, logger: logger)
    }

    /// A run's start: its row (`running` when its writer drives it, `pending` when another run's commit started it),
    /// its start record, start event and seeded store.
    private func addStart(_ started: RunStarted, status: RunStatus, at position: Int) async throws {
        let accepts = started.accepts.isEmpty ? nil : try json(started.accepts)
        try await execute("""
            INSERT INTO run (run_id, workflow, fingerprint, shape, version, seed, input, status, deadline, created_at,
                             origin_run_id, origin_seq, continued_from, accepts, parent_run_id, parent_execution, published_seq)
            VALUES (\(id), \(started.workflow), \(started.fingerprint), \(started.shape), \(started.version),
                    \(started.seed.map { Int64(bitPattern: $0) }), \(text(started.start.payload)), \(status.rawValue), \(started.deadline),
                    \(started.at), \(started.origin?.run.uuid), \(started.origin?.seq), \(started.continuedFrom?.uuid), \(accepts),
                    \(started.parent?.run.uuid), \(started.parent?.executionID), \(started.parent?.publishedSeq))
            """)
        let detail = started.patches.isEmpty && started.parent == nil ? nil : StartDetail(patches: started.patches, link: started.parent)
        log(position, .runStarted, detail: try detail.map { try json($0) }, at: started.at)
        insert(started.start, position: position, at: started.at)
        insert(started.store, position: position)
        if status == .pending, !copying { try await connection.notifyRunnable(logger: logger) }  // no one drives it yet: a worker claims it
    }

    private func writeFinish(_ finish: ExecutionFinished, at position: Int) async throws {
        let (error, retryAt): (String?, Date?) = switch finish.outcome {
        case .completed: (nil, nil)
        case .failed(let message, let retryAt): (message, retryAt)
        case .timedOut(let retryAt): (nil, retryAt)
        case .abandoned: (nil, nil)
        }
        let detail = try json(FinishDetail(startedAt: finish.startedAt.timeIntervalSince1970, recorded: finish.recorded))
        log(position, .executionFinished, execution: finish.executionID, step: finish.step, attempt: finish.attempt,
                      outcome: OutcomeColumn(finish.outcome), error: error, retryAt: retryAt,
                      triggers: try JournalRows.json(triggers: finish.triggers), detail: detail, at: finish.at)
        for event in finish.emitted { insert(event, position: position, at: finish.at) }
        for event in finish.streamed {
            pending.add(PendingRows.StreamEvent(run_id: id, stream_position: event.position, name: event.name, payload: text(event.payload),
                                                step: event.step, position: position))
        }
        insert(finish.storeWrites, position: position)
        do {
            for message in finish.messages {
                _ = try await PostgresInbox.write(message.inboxMessage(from: run), to: message.target, on: connection, logger: logger)
            }
            for started in finish.starts {
                guard try await connection.rows("SELECT 1 AS found FROM run WHERE run_id = \(started.runID.uuid)", logger: logger).isEmpty else {
                    throw CairnError.startsExistingRun(started.runID)
                }
                try await PostgresRecordWriter(connection: connection, run: started.runID, logger: logger, pending: pending, copying: copying)
                    .addStart(started, status: .pending, at: 1)
            }
        } catch let error as CairnError {
            throw CommitEffectError(executionID: finish.executionID, attempt: finish.attempt, step: finish.step, reason: error.message)
        }
        var effects: [any DatabaseEffect] = []
        for effect in finish.effects {
            guard let effect = effect as? any DatabaseEffect else {
                throw CairnError(.unsupportedEffect, "step '\(finish.step)' committed a \(type(of: effect)), which the PostgreSQL journal "
                    + "cannot apply: make it a DatabaseEffect", step: finish.step)
            }
            effects.append(effect)
        }
        guard !effects.isEmpty else { return }
        // A failing effect fails the whole append (the transaction rolls back), and the engine journals the attempt as failed.
        do {
            try await PostgresCommitTransaction.apply(effects, origin: finish.origin(in: run), on: connection, logger: logger)
        } catch let error as PSQLError where error.serverInfo == nil || PostgresJournal.isTransient(error) {
            throw error  // the connection, or a deadlock's victim (the transaction runs again), not the effect
        } catch {
            let reason = (error as? PSQLError)?.serverInfo?[.message] ?? "\(error)"
            throw CommitEffectError(executionID: finish.executionID, attempt: finish.attempt, step: finish.step, reason: reason)
        }
    }

    private func insert(_ writes: [StoreWrite], position: Int) {
        for write in writes { pending.add(PendingRows.StoreWrite(run_id: id, position: position, key: write.key, value: text(write.value))) }
    }

    private func insert(_ event: JournaledEvent, position: Int, at: Date) {
        pending.add(PendingRows.Event(
            run_id: id, seq: event.seq, name: event.name, payload: text(event.payload), execution_id: event.executionID, target: event.target,
            inbox_seq: event.inboxSeq, deliver_at: PendingRows.time(event.deliverAt), answers_execution: event.answers?.executionID,
            answers_key: event.answers?.key, published: event.published ? true : nil, position: position, at: PendingRows.time(at)))
    }

    /// Writes the end of a child run into its parent's inbox (``ChildRunEnded``) when the parent takes it.
    private func reportEnd(_ finished: RunFinished) async throws {
        guard let row = try await connection.rows("""
                  SELECT journal.detail FROM run JOIN journal ON journal.run_id = run.run_id AND journal.position = 1
                  WHERE run.run_id = \(id) AND run.parent_run_id IS NOT NULL
                  """, logger: logger).first,
              let detail = try row["detail", as: String?.self],
              let link = try JSONDecoder().decode(StartDetail.self, from: Data(detail.utf8)).link,
              let report = finished.endReport(of: run, to: link) else { return }
        do {
            _ = try await PostgresInbox.write(report, to: link.run, on: connection, logger: logger)
        } catch is CairnError {
            // The parent ended, or no longer takes it: nobody is waiting for this end.
        }
    }

    private func log(
        _ position: Int, _ kind: RecordKind, execution: Int? = nil, step: String? = nil, attempt: Int? = nil, outcome: OutcomeColumn? = nil,
        error: String? = nil, retryAt: Date? = nil, triggers: String? = nil, detail: String? = nil, at: Date
    ) {
        pending.add(PendingRows.Journal(
            run_id: id, position: position, kind: kind.rawValue, execution_id: execution, step: step, attempt: attempt, outcome: outcome?.rawValue,
            error: error, retry_at: PendingRows.time(retryAt), triggers: triggers, detail: detail, at: PendingRows.time(at)))
    }

    private func execute(_ query: PostgresQuery) async throws {
        try await connection.execute(query, logger: logger)
    }

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    private func json(_ value: some Encodable) throws -> String { text(try JSONEncoder().encode(value)) }
}
