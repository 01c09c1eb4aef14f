import Cairn
import Foundation
import GRDB

/// Reads one run's rows back as the journal records they were written from.
struct JournalReader {
    let db: Database
    let run: RunID

    private var id: String { run.description }

    func records() throws -> [JournalRecord] { try records(limit: nil) }

    /// The run's records at positions after `first` up to `limit` (all of them without a limit).
    func records(after first: Int = 0, limit: Int?) throws -> [JournalRecord] {
        let last = limit ?? Int.max
        guard let runRow = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE run_id = ?", arguments: [id]) else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        if let pruned = runRow["pruned_at"] as String? { throw CairnError.historyPruned(of: run, at: try Timestamp.date(pruned)) }
        let events = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM event WHERE run_id = ? AND position > ? AND position <= ? ORDER BY seq", arguments: [id, first, last])) {
            $0["position"] as Int
        }
        let streamed = Dictionary(grouping: try Row.fetchAll(
            db, sql: "SELECT * FROM stream_event WHERE run_id = ? AND position > ? AND position <= ? ORDER BY stream_position", arguments: [id, first, last])) { $0["position"] as Int }
        let writes = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM store_write WHERE run_id = ? AND position > ? AND position <= ?", arguments: [id, first, last])) {
            $0["position"] as Int
        }
        let effects = Dictionary(uniqueKeysWithValues: try Row.fetchAll(
            db, sql: "SELECT position, result FROM side_effect WHERE run_id = ? AND position > ? AND position <= ?", arguments: [id, first, last]).map { ($0["position"] as Int, $0["result"] as String) })

        return try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE run_id = ? AND position > ? AND position <= ? ORDER BY position", arguments: [id, first, last]).map { row in
            let position: Int = row["position"]
            let at = try Timestamp.date(row["at"] as String)
            switch try row.coded(RecordKind.self, "kind", in: "record \(position) of run \(run)") {
            case .runStarted:
                guard let start = events[position]?.first else { throw damaged("its start event is missing") }
                let startDetail = try (row["detail"] as String?).map { try decode(StartDetail.self, $0) }
                return .runStarted(RunStarted(
                    runID: run, workflow: runRow["workflow"], fingerprint: runRow["fingerprint"], shape: runRow["shape"],
                    version: runRow["version"],
                    patches: startDetail?.patches ?? [],
                    seed: (runRow["seed"] as Int64?).map { UInt64(bitPattern: $0) },
                    deadline: try Timestamp.date(runRow["deadline"] as String?), at: at, start: try event(start),
                    store: (writes[position] ?? []).map(storeWrite),
                    origin: (runRow["origin_run_id"] as String?).flatMap(RunID.init).map { ($0, runRow["origin_seq"] as Int? ?? 0) },
                    continuedFrom: (runRow["continued_from"] as String?).flatMap(RunID.init),
                    accepts: try (runRow["accepts"] as String?).map { try decode([String].self, $0) } ?? [],
                    parent: startDetail?.link ?? (runRow["parent_run_id"] as String?).flatMap(RunID.init).map {
                        ParentLink(run: $0, executionID: runRow["parent_execution"] ?? 0)
                    }))
            case .executionStarted:
                return .executionStarted(ExecutionStarted(
                    executionID: row["execution_id"], step: row["step"], attempt: row["attempt"],
                    triggers: try decode([Int].self, row["triggers"]), at: at))
            case .executionFinished:
                return .executionFinished(try finish(row, position: position, at: at, events: events[position] ?? [],
                                                     streamed: streamed[position] ?? [], writes: writes[position] ?? []))
            case .sideEffect:
                guard let result = effects[position] else { throw damaged("side effect at position \(position) is missing") }
                return .sideEffect(SideEffect(executionID: row["execution_id"], attempt: row["attempt"], key: row["detail"],
                                              result: Data(result.utf8), at: at))
            case .eventsReceived:
                return .eventsReceived(EventsReceived(
                    events: try (events[position] ?? []).map(event),
                    refused: try (row["detail"] as String?).map { try decode([EventsReceived.Refused].self, $0) } ?? [], at: at))
            case .timersFired:
                return .timersFired(TimersFired(
                    events: try decode([Int].self, row["triggers"]),
                    waits: try (row["detail"] as String?).map { try decode([WaitRef].self, $0) } ?? [], at: at))
            case .waitOpened:
                let detail = try decode(WaitDetail.self, row["detail"])
                return .waitOpened(WaitOpened(
                    wait: WaitRef(executionID: row["execution_id"], key: detail.key), attempt: row["attempt"], name: detail.name ?? "",
                    deadline: try Timestamp.date(row["retry_at"] as String?), at: at))
            case .waitAnswered:
                let detail = try decode(WaitDetail.self, row["detail"])
                guard let seq = try decode([Int].self, row["triggers"]).first else { throw damaged("a wait's answer names no event") }
                return .waitAnswered(WaitAnswered(wait: WaitRef(executionID: row["execution_id"], key: detail.key), seq: seq, at: at))
            case .runWaiting:
                let detail = try decode(WaitingDetail.self, row["detail"])
                return .runWaiting(RunWaiting(reasons: detail.reasons, events: detail.events, wakeAt: try Timestamp.date(row["retry_at"] as String?),
                                              at: at))
            case .runInterrupted:
                let detail = try decode(InterruptDetail.self, row["detail"])
                return .runInterrupted(RunInterrupted(abandoned: detail.abandoned, reason: detail.reason, at: at))
            case .runResumed:
                let detail = try (row["detail"] as String?).map { try decode(ResumeDetail.self, $0) }
                return .runResumed(RunResumed(at: at, owner: detail?.owner, epoch: detail?.epoch))
            case .runFinished:
                return .runFinished(RunFinished(
                    status: try runRow.coded(RunStatus.self, "status", in: "run \(run)"),
                    result: (runRow["result"] as String?).map { Data($0.utf8) },
                    error: try (runRow["error"] as String?).map { try decode(RunError.self, $0) }, at: at, successor: try successor()))
            }
        }
    }

    /// The side effects of `executions` journaled at or before `position`, in journal order.
    func sideEffects(of executions: Set<Int>, through position: Int) throws -> [JournalRecord] {
        guard !executions.isEmpty else { return [] }
        let marks = executions.map { _ in "?" }.joined(separator: ", ")
        return try Row.fetchAll(db, sql: """
            SELECT execution_id, attempt, key, result, at FROM side_effect
            WHERE run_id = ? AND position <= ? AND execution_id IN (\(marks)) ORDER BY position
            """, arguments: StatementArguments([id, position] + executions.sorted().map { $0 as (any DatabaseValueConvertible)? })).map { row in
            .sideEffect(SideEffect(executionID: row["execution_id"], attempt: row["attempt"], key: row["key"],
                                   result: Data((row["result"] as String).utf8), at: try Timestamp.date(row["at"] as String)))
        }
    }

    /// The start of the run this one continued as, if it did: read alone, not the successor's whole history.
    private func successor() throws -> RunStarted? {
        guard let id = try String.fetchOne(db, sql: "SELECT run_id FROM run WHERE continued_from = ?", arguments: [self.id]),
              let successor = RunID(id) else { return nil }
        guard case .runStarted(let started)? = try JournalReader(db: db, run: successor).records(limit: 1).first else {
            throw damaged("its successor \(successor) has no start")
        }
        return started
    }

    private func finish(_ row: Row, position: Int, at: Date, events: [Row], streamed: [Row], writes: [Row]) throws -> ExecutionFinished {
        let retryAt = try Timestamp.date(row["retry_at"] as String?)
        let outcome: ExecutionFinished.Outcome = switch try row.coded(OutcomeColumn.self, "outcome", in: "record \(position) of run \(run)") {
        case .completed: .completed
        case .timedOut: .timedOut(retryAt: retryAt)
        case .abandoned: .abandoned
        case .failed: .failed(message: row["error"] ?? "", retryAt: retryAt)
        }
        let detail = try decode(FinishDetail.self, row["detail"])
        return ExecutionFinished(
            executionID: row["execution_id"], step: row["step"], attempt: row["attempt"],
            triggers: try decode([TriggerRef].self, row["triggers"]).map { ($0.name, $0.seq) }, outcome: outcome,
            emitted: try events.map(event),
            streamed: streamed.map { StreamedEvent(position: $0["stream_position"], name: $0["name"], payload: Data(($0["payload"] as String).utf8), step: $0["step"]) },
            storeWrites: writes.map(storeWrite),
            recorded: detail.recorded, effects: [], startedAt: Date(timeIntervalSince1970: detail.startedAt), at: at)
    }

    private func storeWrite(_ row: Row) -> StoreWrite {
        StoreWrite(key: row["key"], value: Data((row["value"] as String).utf8))
    }

    private func event(_ row: Row) throws -> JournaledEvent {
        JournaledEvent(seq: row["seq"], name: row["name"], payload: Data((row["payload"] as String).utf8),
                       executionID: row["execution_id"], target: row["target"], inboxSeq: row["inbox_seq"],
                       deliverAt: try Timestamp.date(row["deliver_at"] as String?),
                       answers: (row["answers_execution"] as Int?).map { WaitRef(executionID: $0, key: row["answers_key"] ?? "") },
                       published: (row["published"] as Int?) == 1, value: nil)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text else { throw damaged("a \(T.self) is missing") }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    private func damaged(_ what: String) -> CairnError {
        CairnError(.journalDamaged, "the journal of run \(run) is damaged: \(what); run `cairn db check`")
    }
}
