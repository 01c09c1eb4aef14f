import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one run: status, input, result or error, and a timeline of its step executions.",
        discussion: """
            The timeline lists every attempt of every step execution (its trigger events, what it emitted, how \
            long it took, how it ended), the memoised side effects, the streamed progress, and the \
            interruptions and takeovers — everything the journal holds about the run.

            Example:
              cairn show 6f1c2d3e-0000-4000-8000-000000000001
            """
    )

    @Argument(help: "The run.")
    var run: String

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run() async throws {
        let environment = try CommandEnvironment(options, root: root.global)
        do {
            let id = try environment.runID(run).description
            let journal = try environment.readOnlyJournal()
            let summary = try journal.rows("SELECT * FROM runs WHERE run_id = ?", [id])
            guard let runRecord = summary.records.first else { throw CairnError(.runNotFound, "no run \(id) in \(journal.path)") }
            let executions = try journal.rows("""
                SELECT x.execution_id, x.step, x.attempt, x.triggers, x.started_at, x.duration_s, x.outcome, x.error,
                       (SELECT group_concat(name || '#' || seq, ', ') FROM events AS e
                         WHERE e.run_id = x.run_id AND e.execution_id = x.execution_id AND x.outcome = 'completed') AS emitted
                FROM step_executions AS x WHERE x.run_id = ? ORDER BY x.started_at, x.execution_id, x.attempt
                """, [id])
            let effects = try journal.rows("SELECT execution_id, step, attempt, key, result, at FROM side_effects WHERE run_id = ? ORDER BY at", [id])
            let progress = try journal.rows("SELECT stream_position, step, name, payload FROM stream_event WHERE run_id = ? ORDER BY stream_position", [id])
            let lifecycle = try journal.rows("""
                SELECT position, kind, detail, at FROM journal
                WHERE run_id = ? AND kind IN ('run_started', 'run_interrupted', 'run_resumed', 'run_finished') ORDER BY position
                """, [id])
            let forks = try journal.rows("SELECT run_id, origin_seq, status FROM runs WHERE origin_run_id = ?", [id])
            let output = environment.output
            if output.json {
                output.json([
                    "run": runRecord.mapValues(\.json),
                    "executions": executions.records.map { $0.mapValues(\.json) },
                    "sideEffects": effects.records.map { $0.mapValues(\.json) },
                    "progress": progress.records.map { $0.mapValues(\.json) },
                    "lifecycle": lifecycle.records.map { $0.mapValues(\.json) },
                    "forks": forks.records.map { $0.mapValues(\.json) },
                ])
                return
            }
            func field(_ name: String) -> String { runRecord[name]?.text ?? "" }
            let status = field("interrupted") == "1" ? "interrupted (\(field("status")), no live owner)" : field("status")
            output.line("run \(id)")
            output.line("  workflow     \(field("workflow"))\(field("version").isEmpty ? "" : " version \(field("version"))")  fingerprint \(field("fingerprint"))")
            output.line("  status       \(status), \(field("duration_s")) s, started \(field("created_at"))")
            output.line("  input        \(field("input"))")
            if !field("result").isEmpty { output.line("  result       \(field("result"))") }
            if !field("error").isEmpty { output.line("  error        \(field("error"))") }
            if !field("origin_run_id").isEmpty { output.line("  forked from  \(field("origin_run_id")) at seq \(field("origin_seq"))") }
            for fork in forks.records { output.line("  fork         \(fork["run_id"]?.text ?? "") at seq \(fork["origin_seq"]?.text ?? "") (\(fork["status"]?.text ?? ""))") }
            output.line("")
            output.line("timeline:")
            var timeline: [(at: String, line: String)] = lifecycle.records.compactMap { event in
                guard event["kind"]?.text != "run_started" else { return nil }
                let kind = event["kind"]?.text.replacingOccurrences(of: "_", with: " ") ?? ""
                return (event["at"]?.text ?? "", "\(kind)  \(event["detail"]?.text ?? "")")
            }
            for execution in executions.records {
                func value(_ name: String) -> String { execution[name]?.text ?? "" }
                let ended = value("outcome") + (value("error").isEmpty ? "" : ": \(value("error"))")
                timeline.append((value("started_at"), "#\(value("execution_id")) \(value("step")) attempt \(value("attempt")) on seq \(value("triggers"))"
                    + "  \(value("duration_s").isEmpty ? "" : value("duration_s") + " s")  \(ended)"
                    + (value("emitted").isEmpty ? "" : "  → \(value("emitted"))")))
            }
            // Stable sort by time: executions that started together keep their journal order.
            for entry in timeline.enumerated().sorted(by: { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }) {
                output.line("  \(entry.element.at)  \(entry.element.line)")
            }
            if !effects.rows.isEmpty {
                output.line("")
                output.line("side effects (paid once, replayed from the journal after that):")
                for effect in effects.records {
                    output.line("  #\(effect["execution_id"]?.text ?? "") \(effect["step"]?.text ?? "") \(effect["key"]?.text ?? "") = \(effect["result"]?.text ?? "")")
                }
            }
            if !progress.rows.isEmpty {
                output.line("")
                output.line("progress:")
                for item in progress.records {
                    let payload = Output.parsed(item["payload"]?.text ?? "")
                    let message = (payload as? [String: Any])?["message"] as? String ?? "\(item["name"]?.text ?? "") \(item["payload"]?.text ?? "")"
                    output.line("  \(item["stream_position"]?.text ?? "")  \(item["step"]?.text ?? ""): \(message)")
                }
            }
        } catch {
            throw Exit.fail(error)
        }
    }
}
