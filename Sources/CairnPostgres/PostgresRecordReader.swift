import Cairn
import Foundation
import Logging
import PostgresNIO

/// Reads one run's rows back as the journal records they were written from (within one snapshot, see
/// ``PostgresJournal/snapshot(_:)``).
struct PostgresRecordReader {
    let connection: PostgresConnection
    let run: RunID
    let logger: Logger

    private var id: UUID { run.uuid }

    /// The run's records at positions after `first`, up to `limit` of them (all without one).
    func records(after first: Int = 0, limit: Int? = nil) async throws -> [JournalRecord] {
        let last = limit.map { first + $0 } ?? Int(Int32.max)
        guard let runRow = try await connection.rows("SELECT * FROM run WHERE run_id = \(id)", logger: logger).first else {
            throw CairnError(.runNotFound, "no run \(run) in this journal")
        }
        if let pruned = try runRow["pruned_at", as: Date?.self] { throw CairnError.historyPruned(of: run, at: pruned) }
        let range = "run_id = $1 AND position > $2 AND position <= $3"
        func rows(_ sql: String) async throws -> [PostgresRecordRow] {
            var bindings = PostgresBindings()
            bindings.append(id)
            bindings.append(first)
            bindings.append(last)
            return try await connection.rows(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        }
        func byPosition(_ rows: [PostgresRecordRow]) throws -> [Int: [PostgresRecordRow]] {
            try Dictionary(grouping: rows.map { (try $0["position", as: Int.self], $0) }, by: \.0).mapValues { $0.map(\.1) }
        }
        let events = try byPosition(try await rows("SELECT * FROM event WHERE \(range) ORDER BY seq"))
        let streamed = try byPosition(try await rows("SELECT * FROM stream_event WHERE \(range) ORDER BY stream_position"))
        let writes = try byPosition(try await rows("SELECT * FROM store_write WHERE \(range)"))
        let effects = try byPosition(try await rows("SELECT position, result FROM side_effect WHERE \(range)"))
        var records: [JournalRecord] = []
        for row in try await rows("SELECT * FROM journal WHERE \(range) ORDER BY position") {
            let position = try row["position", as: Int.self]
            records.append(try await record(row, position: position, runRow: runRow, events: events[position] ?? [],
                                            streamed: streamed[position] ?? [], writes: writes[position] ?? [], effect: effects[position]?.first))
        }
        return records
    }

    private func record(_ row: PostgresRecordRow, position: Int, runRow: PostgresRecordRow, events: [PostgresRecordRow],
                        streamed: [PostgresRecordRow], writes: [PostgresRecordRow], effect: PostgresRecordRow?) async throws -> JournalRecord {
        let at = try row["at", as: Date.self]
        guard let kind = RecordKind(rawValue: try row["kind", as: String.self]) else {
            throw damaged("record \(position) has a kind this binary does not know")
        }
        switch kind {
        case .runStarted:
            guard let start = events.first else { throw damaged("its start event is missing") }
            let startDetail = try (try row["detail", as: String?.self]).map { try decode(StartDetail.self, $0) }
            return .runStarted(RunStarted(
                runID: run, workflow: try runRow["workflow"], fingerprint: try runRow["fingerprint"], shape: try runRow["shape"],
                version: try runRow["version"], patches: startDetail?.patches ?? [],
                seed: (try runRow["seed", as: Int64?.self]).map { UInt64(bitPattern: $0) },
                deadline: try runRow["deadline"], at: at, start: try event(start), store: try writes.map(storeWrite),
                origin: (try runRow["origin_run_id", as: UUID?.self]).map { (RunID($0), (try? runRow["origin_seq", as: Int?.self]) ?? 0) },
                continuedFrom: (try runRow["continued_from", as: UUID?.self]).map(RunID.init),
                accepts: try (try runRow["accepts", as: String?.self]).map { try decode([String].self, $0) } ?? [],
                parent: try startDetail?.link ?? (try runRow["parent_run_id", as: UUID?.self]).map {
                    ParentLink(run: RunID($0), executionID: try runRow["parent_execution", as: Int?.self] ?? 0)
                }))
        case .executionStarted:
            return .executionStarted(ExecutionStarted(
                executionID: try row["execution_id"], step: try row["step"], attempt: try row["attempt"],
                triggers: try decode([Int].self, try row["triggers"]), at: at))
        case .executionFinished:
            return .executionFinished(try finish(row, at: at, events: events, streamed: streamed, writes: writes))
        case .sideEffect:
            guard let effect else { throw damaged("side effect at position \(position) is missing") }
            return .sideEffect(SideEffect(executionID: try row["execution_id"], attempt: try row["attempt"], key: try row["detail"],
                                          result: Data((try effect["result", as: String.self]).utf8), at: at))
        case .eventsReceived:
            return .eventsReceived(EventsReceived(
                events: try events.map(event),
                refused: try (try row["detail", as: String?.self]).map { try decode([EventsReceived.Refused].self, $0) } ?? [], at: at))
        case .timersFired:
            return .timersFired(TimersFired(
                events: try decode([Int].self, try row["triggers"]),
                waits: try (try row["detail", as: String?.self]).map { try decode([WaitRef].self, $0) } ?? [], at: at))
        case .waitOpened:
            let detail = try decode(WaitDetail.self, try row["detail"])
            return .waitOpened(WaitOpened(wait: WaitRef(executionID: try row["execution_id"], key: detail.key), attempt: try row["attempt"],
                                          name: detail.name ?? "", deadline: try row["retry_at"], at: at))
        case .waitAnswered:
            let detail = try decode(WaitDetail.self, try row["detail"])
            guard let seq = try decode([Int].self, try row["triggers"]).first else { throw damaged("a wait's answer names no event") }
            return .waitAnswered(WaitAnswered(wait: WaitRef(executionID: try row["execution_id"], key: detail.key), seq: seq, at: at))
        case .runWaiting:
            let detail = try decode(WaitingDetail.self, try row["detail"])
            return .runWaiting(RunWaiting(reasons: detail.reasons, events: detail.events, wakeAt: try row["retry_at"], at: at))
        case .runInterrupted:
            let detail = try decode(InterruptDetail.self, try row["detail"])
            return .runInterrupted(RunInterrupted(abandoned: detail.abandoned, reason: detail.reason, at: at))
        case .runResumed:
            let detail = try (try row["detail", as: String?.self]).map { try decode(ResumeDetail.self, $0) }
            return .runResumed(RunResumed(at: at, owner: detail?.owner, epoch: detail?.epoch))
        case .runFinished:
            guard let status = RunStatus(rawValue: try runRow["status", as: String.self]) else { throw damaged("its status is unknown") }
            return .runFinished(RunFinished(
                status: status, result: (try runRow["result", as: String?.self]).map { Data($0.utf8) },
                error: try (try runRow["error", as: String?.self]).map { try decode(RunError.self, $0) }, at: at, successor: try await successor()))
        }
    }

    /// The start of the run this one continued as, if it did: read alone, not the successor's whole history.
    private func successor() async throws -> RunStarted? {
        guard let row = try await connection.rows("SELECT run_id FROM run WHERE continued_from = \(id)", logger: logger).first else { return nil }
        let successor = RunID(try row["run_id", as: UUID.self])
        guard case .runStarted(let started)? = try await PostgresRecordReader(connection: connection, run: successor, logger: logger)
            .records(limit: 1).first else {
            throw damaged("its successor \(successor) has no start")
        }
        return started
    }

    private func finish(_ row: PostgresRecordRow, at: Date, events: [PostgresRecordRow], streamed: [PostgresRecordRow],
                        writes: [PostgresRecordRow]) throws -> ExecutionFinished {
        let retryAt = try row["retry_at", as: Date?.self]
        let outcome: ExecutionFinished.Outcome = switch OutcomeColumn(rawValue: try row["outcome", as: String?.self] ?? "") {
        case .completed: .completed
        case .timedOut: .timedOut(retryAt: retryAt)
        case .abandoned: .abandoned
        case .failed: .failed(message: try row["error", as: String?.self] ?? "", retryAt: retryAt)
        case nil: throw damaged("an execution's outcome is unknown")
        }
        let detail = try decode(FinishDetail.self, try row["detail"])
        return ExecutionFinished(
            executionID: try row["execution_id"], step: try row["step"], attempt: try row["attempt"],
            triggers: try decode([TriggerRef].self, try row["triggers"]).map { ($0.name, $0.seq) }, outcome: outcome,
            emitted: try events.map(event),
            streamed: try streamed.map {
                StreamedEvent(position: try $0["stream_position"], name: try $0["name"], payload: Data((try $0["payload", as: String.self]).utf8),
                              step: try $0["step"])
            },
            storeWrites: try writes.map(storeWrite), recorded: detail.recorded, effects: [],
            startedAt: Date(timeIntervalSince1970: detail.startedAt), at: at)
    }

    private func storeWrite(_ row: PostgresRecordRow) throws -> StoreWrite {
        StoreWrite(key: try row["key"], value: Data((try row["value", as: String.self]).utf8))
    }

    private func event(_ row: PostgresRecordRow) throws -> JournaledEvent {
        JournaledEvent(seq: try row["seq"], name: try row["name"], payload: Data((try row["payload", as: String.self]).utf8),
                       executionID: try row["execution_id"], target: try row["target"], inboxSeq: try row["inbox_seq"],
                       deliverAt: try row["deliver_at"],
                       answers: try (try row["answers_execution", as: Int?.self]).map { WaitRef(executionID: $0, key: try row["answers_key", as: String?.self] ?? "") },
                       published: try row["published", as: Bool?.self] == true, value: nil)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text else { throw damaged("a \(T.self) is missing") }
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    private func damaged(_ what: String) -> CairnError {
        CairnError(.journalDamaged, "the journal of run \(run) is damaged: \(what); run `cairn db check`")
    }
}
