import Cairn
import CairnSQLite
import Foundation

/// The kill trial of `Scripts/bench-peers`: a durable chain of 40 steps, each paying for something outside
/// (a line appended to a file, through `context.run`), that the script kills and resumes. Lines beyond 40
/// are side effects paid twice.
enum KillTrial {
    static let steps = 40
    static let runID = RunID(UUID(uuidString: "00000000-0000-4000-8000-00000000c41a")!)

    struct Paid: Event {
        static let eventName = "bench.paid"
        var n: Int
    }

    struct PaidChain: Workflow {
        static let name = "bench-paid-chain"
        typealias Input = String
        typealias Output = Int

        var steps: [AnyStep] {
            FunctionStep("begin") { (start: StartEvent<String>, context) -> Paid? in Paid(n: KillTrial.steps) }
            FunctionStep("pay") { (paid: Paid, context) -> OneOf2<Paid, StopEvent<Int>>? in
                let path = try context.store.get(StoreKey<String>("effects")) ?? ""
                _ = try await context.run("pay") {
                    let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                    try file.seekToEnd()
                    try file.write(contentsOf: Data("\(paid.n)\n".utf8))
                    try file.synchronize()
                    try file.close()
                    return paid.n
                }
                return paid.n <= 1 ? .second(StopEvent(0)) : .first(Paid(n: paid.n - 1))
            }
        }
    }

    /// `cairn-bench kill-trial DB EFFECTS`: starts the trial's run, or resumes it when the journal has it.
    static func run(journal path: String, effects: String) async throws {
        if !FileManager.default.fileExists(atPath: effects) { _ = FileManager.default.createFile(atPath: effects, contents: nil) }
        let journal = try SQLiteJournal(path: path, leaseTTL: .seconds(1))
        let engine = Engine(journal: journal)
        if try await journal.contains(runID) {
            _ = try await engine.resume(PaidChain(), run: runID).result
        } else {
            var store = StoreValues()
            try store.set(StoreKey<String>("effects"), effects)
            _ = try await engine.start(PaidChain(), input: "", options: RunOptions(id: runID), store: store).result
        }
        journal.close()
    }
}
