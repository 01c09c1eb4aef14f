import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Send: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Send an event to a run from outside: an answer it waits for, a message it handles.",
        discussion: """
            The event is written into the run's inbox and is durable when this returns; the process that \
            drives the run journals it as an event of the run and hands it to the steps subscribed to it — at \
            once when that process is alive, else when the run is resumed or a worker picks it up. The run's \
            workflow must accept the event name (`cairn workflows` lists what each accepts).

            With --key, a second send with the same key delivers nothing and reports the first send's place in \
            the inbox: safe to repeat after a timeout.

            Examples:
              cairn send 6f1c2d3e-0000-4000-8000-000000000001 inventory.approval --payload '{"approved": true, "by": "ada"}'
              cairn send 6f1c2d3e-0000-4000-8000-000000000001 inventory.approval --payload @answer.json --key approval-1
            """
    )

    /// `send --json`: where the event is in the run's inbox.
    @Argument(help: "The run.", completion: Completions.runs)
    var run: String

    @Argument(help: ArgumentHelp("The event's name, one the run's workflow accepts.", valueName: "event-name"))
    var eventName: String

    @Option(help: ArgumentHelp("The event as JSON, or @file to read it from a file (@- for standard input). Default: {}.",
                               valueName: "json|@file"))
    var payload: String?

    @Option(help: ArgumentHelp("An idempotency key: a second send with it delivers nothing.", valueName: "key"))
    var key: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let id = try environment.runID(run)
        let payload = try InputFile.json(payload)
        let journal = try await environment.existingJournal()
        let summary = try await environment.summary(of: id, in: journal)
        // The payload is checked against the event's type here when this CLI knows the workflow; the owner
        // checks it again (and refuses it, journaled) when it does not.
        if let registration = CairnCLI.workflows.first(where: { $0.name == summary.workflow }) {
            try registration.checkExternalEvent(eventName, payload: payload)
        }
        let receipt = try await environment.engine(journal).send(
            InboxMessage(name: eventName, payload: payload, key: key, sender: "cli"), to: id)
        let output = environment.output
        if output.json {
            return output.json(SendReceipt(runId: id, event: eventName, receipt: receipt))
        }
        output.line(receipt.duplicate
            ? "already sent with key '\(key ?? "")': '\(eventName)' is #\(receipt.inboxSeq) in the inbox of run \(id); nothing new was delivered"
            : "sent '\(eventName)' to run \(id) (#\(receipt.inboxSeq) in its inbox)")
    }
}
