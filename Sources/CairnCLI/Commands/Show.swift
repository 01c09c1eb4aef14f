import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Show: CairnSubcommand {
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

    @Argument(help: "The run.", completion: Completions.runs)
    var run: String

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let id = try environment.runID(run)
        let journal = try await environment.inspectableJournal()
        guard let detail = try await journal.detail(of: id) else { throw CairnError(.runNotFound, "no run \(id) in \(environment.journalPath)") }
        let forks = try await journal.allRuns(RunQuery(forkedFrom: id, limit: 500))
        let summary = detail.summary
        let steps = Dictionary(detail.timeline.compactMap { entry in entry.executionId.map { ($0, entry.step ?? "") } }) { first, _ in first }
        let output = environment.output
        if output.json { return output.json(RunDocument(detail, forks: forks)) }
        let status = summary.displayStatus == "interrupted" ? "interrupted (\(summary.status.rawValue), no live owner)" : summary.status.rawValue
        output.line("run \(id)")
        output.line("  workflow     \(summary.workflow)\(summary.version.map { " version \($0)" } ?? "")  fingerprint \(summary.fingerprint)")
        output.line("  status       \(status), \(DurationText.of(summary)), started \(Timestamp.text(summary.createdAt))")
        output.line("  input        \(TerminalText.value(summary.input))")
        if let result = summary.result { output.line("  result       \(TerminalText.value(result))") }
        if let error = summary.error { output.line("  error        \(error.message)") }
        if let origin = summary.originRunID { output.line("  forked from  \(origin) at seq \(summary.originSeq ?? 0)") }
        if let from = summary.continuedFrom { output.line("  continues    \(from)") }
        if let next = summary.continuedAs { output.line("  continued as \(next)") }
        if summary.status == .waiting, case .runWaiting(let waiting)? = detail.records.last(where: { if case .runWaiting = $0 { true } else { false } }) {
            output.line("  waiting for  \(waiting.reasons.joined(separator: "; "))" + (waiting.wakeAt.map { "; due \(Timestamp.text($0))" } ?? ""))
            for name in waiting.events { output.line("  answer with  cairn send \(id) \(name) --payload '{…}'") }
        }
        for fork in forks { output.line("  fork         \(fork.runID) at seq \(fork.originSeq ?? 0) (\(fork.displayStatus))") }
        if let parent = summary.parentRunID { output.line("  started by   \(parent)" + Self.link(detail)) }
        for child in try await journal.allRuns(RunQuery(parent: id, limit: 500)) {
            output.line("  child        \(child.runID) \(child.workflow) (\(child.displayStatus))")
        }
        // Messages its steps sent to other runs (`context.send(_:to:)`), as their inboxes hold them (the SQLite
        // journal's `messages` view; the PostgreSQL journal's views are still to come).
        let sent = try (journal as? ReadOnlyJournal)?.rows(
            "SELECT run_id, inbox_seq, name, event_seq FROM messages WHERE sender = ? ORDER BY sent_at, run_id, inbox_seq", ["run \(id)"])
        for message in sent?.records ?? [] {
            let taken = message["event_seq"].flatMap { $0 == .null ? nil : "journaled there as seq \($0.text)" } ?? "not taken yet"
            output.line("  sent         \(message["name"]?.text ?? "") to run \(message["run_id"]?.text ?? "") (inbox \(message["inbox_seq"]?.text ?? ""); \(taken))")
        }
        if let pruned = summary.prunedAt {
            return output.line("  history      pruned at \(Timestamp.text(pruned)) by cairn db prune: no timeline, events or side effects remain")
        }
        output.line("")
        output.line("timeline:")
        // A fork's copied prefix keeps the origin's times, all before the fork was made.
        let copied = summary.originRunID.map { " (copied from \($0.description.prefix(8)))" } ?? ""
        for entry in detail.timeline {
            output.line("  \(Timestamp.text(entry.at))  \(Self.describe(entry))\(entry.at < summary.createdAt ? copied : "")")
        }
        if !detail.sideEffects.isEmpty {
            output.line("")
            output.line("side effects (paid once, replayed from the journal after that):")
            for effect in detail.sideEffects {
                output.line("  #\(effect.executionID) \(steps[effect.executionID] ?? "") \(effect.key) = \(String(decoding: effect.result, as: UTF8.self))")
            }
        }
        if !detail.progress.isEmpty {
            output.line("")
            output.line("progress:")
            for event in detail.progress {
                let payload = JSONValue(json: event.payload)
                let message = payload?["message"].flatMap { if case .string(let text) = $0 { text } else { nil } }
                output.line("  \(event.position)  \(event.step): \(message ?? "\(event.name) \(payload?.text ?? "")")")
            }
        }
    }

    /// How the run's parent started it: the execution, the publication, detached.
    private static func link(_ detail: RunDetail) -> String {
        guard case .runStarted(let started)? = detail.records.first, let link = started.parent else { return "" }
        return ", execution \(link.executionID)" + (link.publishedSeq.map { ", on its publication seq \($0)" } ?? "")
            + (link.detached && link.publishedSeq == nil ? ", detached" : "")
    }

    private static func describe(_ entry: TimelineEntry) -> String {
        switch entry.kind {
        case .attempt:
            let ended = (entry.outcome ?? "") + (entry.error.map { ": \($0)" } ?? "")
            let took = entry.durationSeconds.map(DurationText.format) ?? ""
            let emitted = (entry.emitted ?? []).map {
                "\($0.name)#\($0.seq)" + ($0.target.map { " to \($0)" } ?? "") + ($0.deliverAt.map { " due \(Timestamp.text($0))" } ?? "")
                    + ($0.published == true ? " (published)" : "")
            }.joined(separator: ", ")
            return "#\(entry.executionId ?? 0) \(entry.step ?? "") attempt \(entry.attempt ?? 0) on seq \(entry.triggers ?? [])"
                + "  \(took)  \(ended)" + (emitted.isEmpty ? "" : "  → \(emitted)")
        case .received:
            let events = (entry.emitted ?? []).map {
                "\($0.name)#\($0.seq) (inbox \($0.inboxSeq ?? 0))" + ($0.answers.map { " answers the wait of #\($0)" } ?? "")
            }.joined(separator: ", ")
            return "received  \(events)" + (entry.error.map { "  \($0)" } ?? "")
        case .due:
            return "timers fired" + ((entry.triggers ?? []).isEmpty ? "" : "  delayed events \(entry.triggers ?? []) delivered")
                + (entry.reason.map { "  \($0)" } ?? "")
        case .wait:
            return "#\(entry.executionId ?? 0) attempt \(entry.attempt ?? 0) \(entry.reason ?? "")"
                + (entry.wakeAt.map { " until \(Timestamp.text($0))" } ?? "")
        case .answered:
            return "#\(entry.executionId ?? 0) \(entry.reason ?? "")"
        case .waiting:
            return "run waiting  for \(entry.reason ?? "")" + (entry.wakeAt.map { "; due \(Timestamp.text($0))" } ?? "")
        case .interrupted:
            return "run interrupted  \(entry.reason ?? ""); abandoned \(entry.abandoned ?? [])"
        case .resumed:
            return "run resumed  by \(entry.owner ?? "?") (lease epoch \(entry.epoch.map(String.init) ?? "?"))"
        case .finished:
            return "run finished  \(entry.outcome ?? "")"
        }
    }
}
