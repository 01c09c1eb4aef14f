import ArgumentParser
import Cairn
import CairnSQLite
import Foundation

struct Export: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's journal as one JSON document, for a bug report or another journal.",
        discussion: """
            The document holds every record of the run — events with their payloads, step attempts, side-effect \
            results, recorded now/random/uuid values, store writes — and no database effects. `cairn import` \
            loads it into another journal, where `replay --check` checks new code against it.

            Examples:
              cairn export 6f1c2d3e-0000-4000-8000-000000000001 > run.json
              cairn export 6f1c2d3e-0000-4000-8000-000000000001 --output run.json
            """
    )

    @Argument(help: "The run to export.", completion: Completions.runs)
    var run: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (replaced whole, readable by you alone) instead of standard output.",
                                                    valueName: "file"))
    var output: String?

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let id = try environment.runID(run)
        let journal = try await environment.inspectableJournal()
        _ = try await environment.summary(of: id, in: journal)
        let document = try await Engine.export(id, from: journal).encoded()
        guard let output else { return environment.output.exact(String(decoding: document, as: UTF8.self)) }
        do {
            try document.write(to: URL(fileURLWithPath: output), options: [.atomic])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: output)
        } catch {
            throw CairnError(.fileNotFound, "cannot write \(output): \((error as NSError).localizedDescription)")
        }
        if !environment.output.json { environment.output.line("exported run \(id) to \(output)") }
    }
}

struct Import: CairnSubcommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a run written by `cairn export` into this journal, as a finished run.",
        discussion: """
            The run keeps its id and its records; no database effect is applied. A run exported before it \
            finished is closed as cancelled (error code imported), so nothing resumes it here: fork it to go on. \
            A run of a workflow this binary registers must rebuild under today's code; other runs are loaded as \
            they are. A run already in the journal is refused.

            Examples:
              cairn import run.json --db test.sqlite
              cairn import run.json && cairn replay --check 6f1c2d3e-0000-4000-8000-000000000001
              cairn export RUN --db prod.sqlite | cairn import - --db test.sqlite
            """
    )

    @Argument(help: ArgumentHelp("The archive file, or - for standard input.", valueName: "file"))
    var file: String

    @OptionGroup var options: GlobalOptions
    @ParentCommand var root: CairnCommand

    func run(in environment: CommandEnvironment) async throws {
        let archive = try RunArchive.decode(try InputFile.read(file))
        let journal = try await environment.journal()
        let graph = CairnCLI.workflows.first { $0.name == archive.workflow }?.graph
        try await Engine.importRun(archive, into: journal, graph: graph)
        let summary = try await environment.summary(of: archive.runID, in: journal)
        if environment.output.json { return environment.output.json(summary) }
        environment.output.line("imported run \(archive.runID) (\(archive.workflow), \(summary.displayStatus), "
            + "\(archive.records.count) records)" + (graph == nil ? "; workflow '\(archive.workflow)' is not registered here" : ""))
    }
}
