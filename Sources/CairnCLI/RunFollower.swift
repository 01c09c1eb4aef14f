import ArgumentParser
import Cairn
import Dispatch
import Foundation

/// Drives a run in the foreground: prints its progress stream, then its outcome. Ctrl-C or SIGTERM
/// interrupt it (in-flight steps get a grace period to commit; the run stays resumable); a second
/// signal exits at once, which is safe: the journal holds everything committed.
struct RunFollower {
    let output: Output
    let workflow: String

    /// Returns the exit code for the run's outcome.
    func drive(_ run: ErasedRun, started: Date = Date()) async -> Int32 {
        let signals = interruptOnSignals(run)
        defer { signals.forEach { $0.cancel() } }
        if !output.json { output.line("run \(run.runID) (\(workflow))") }
        do {
            for try await event in run.events { print(event) }
        } catch {
            FileHandle.standardError.write(Data("cairn: reading the run's progress failed: \(error)\n".utf8))
        }
        return report(await run.outcome(), runID: run.runID, seconds: Date().timeIntervalSince(started))
    }

    private func print(_ event: StreamedEvent) {
        let payload = String(decoding: event.payload, as: UTF8.self)
        if output.json {
            output.json(["type": "event", "position": event.position, "name": event.name, "step": event.step,
                         "payload": Output.parsed(payload)])
        } else if let message = (Output.parsed(payload) as? [String: Any])?["message"] as? String {
            output.line("  \(event.step): \(message)")
        } else {
            output.line("  \(event.step): \(event.name) \(payload)")
        }
    }

    private func report(_ outcome: RunOutcome, runID: RunID, seconds: Double) -> Int32 {
        let id = runID.description
        switch outcome {
        case .completed(let result):
            if output.json {
                output.json(["runId": id, "status": "completed", "result": Output.parsed(result)])
            } else {
                output.line("completed in \(String(format: "%.1f", seconds)) s")
                output.line("result: \(result)")
            }
            return 0
        case .ended(let status, let error):
            if output.json {
                output.json(["runId": id, "status": status.rawValue, "error": ["code": error.code, "message": error.message]])
            } else {
                output.line("\(status.rawValue) after \(String(format: "%.1f", seconds)) s")
            }
            _ = Exit.fail(message: error.message, code: Exit.runFailed)
            return Exit.runFailed
        case .interrupted:
            if output.json {
                output.json(["runId": id, "status": "running", "interrupted": true])
            } else {
                output.line("interrupted; resume it with: cairn resume \(id)")
            }
            return Exit.interrupted
        case .journalFailed(let error):
            if output.json {
                output.json(["runId": id, "status": "running", "error": ["code": "journal", "message": String(describing: error)]])
            }
            return Exit.fail(error).rawValue
        }
    }

    private func interruptOnSignals(_ run: ErasedRun) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            var signalled = false
            source.setEventHandler {
                if signalled { exit(Exit.interrupted) }
                signalled = true
                FileHandle.standardError.write(Data("cairn: interrupting run \(run.runID): in-flight steps may commit, then it stops, resumable\n".utf8))
                run.interrupt()
            }
            source.resume()
            return source
        }
    }
}
