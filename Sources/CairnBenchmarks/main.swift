import Cairn
import Foundation

// Runs every scenario in a child process of this binary (so each peak RSS is its own), prints a table per
// group, then each goal of the speed issue with its figure and its baseline from the same run.
// `cairn-bench <scenario>` runs one scenario and prints its figures as JSON; `cairn-bench kill-trial DB EFFECTS`
// runs (or resumes) the kill trial of `Scripts/bench-peers`.

let arguments = CommandLine.arguments.dropFirst()

if arguments.first == "kill-trial", arguments.count == 3 {
    try await KillTrial.run(journal: arguments[arguments.startIndex + 1], effects: arguments[arguments.startIndex + 2])
    exit(0)
}

if arguments.first == "history-build", arguments.count == 3, let events = Int(arguments[arguments.startIndex + 2]) {
    try await HistoryScenario.build(path: arguments[arguments.startIndex + 1], events: events)
    exit(0)
}

if arguments.first == "wake-owner", arguments.count == 2 {
    try await WaitBenchmarks.owner(path: arguments[arguments.startIndex + 1])
    exit(0)
}

if arguments.first == "wait-figure", arguments.count == 2, let figure = WaitFigure(rawValue: arguments[arguments.startIndex + 1]) {
    print(String(decoding: try JSONEncoder().encode(try await figure.measure()), as: UTF8.self))
    exit(0)
}

if arguments.first == "api-baseline", arguments.count == 5 {
    let numbers = arguments.dropFirst().compactMap { Int($0) }
    guard numbers.count == 4 else { exit(64) }
    let baseline = try await APIBaseline.measure(starts: numbers[0], concurrency: numbers[1], followers: numbers[2], cycles: numbers[3])
    print(String(decoding: try JSONEncoder().encode(baseline), as: UTF8.self))
    exit(0)
}

if let name = arguments.first {
    guard let scenario = Scenario.all.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("unknown scenario '\(name)'; the scenarios are \(Scenario.all.map(\.name).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    let clock = ContinuousClock()
    if scenario.warmsUp { _ = try await scenario.body() }  // untimed: the heap grown, the code paged in
    var extra = Scenario.Extra()
    let elapsed = try await clock.measure { extra = try await scenario.body() }
    let seconds = extra.seconds ?? elapsed.seconds
    let figures = Figures(name: name, seconds: seconds, stepsPerSecond: Double(scenario.steps) / seconds, peakRSSMiB: peakRSSMiB(), extra: extra)
    print(String(decoding: try JSONEncoder().encode(figures), as: UTF8.self))
    exit(0)
}

/// Runs one scenario in a child process of this binary and returns its figures.
func measure(_ scenario: Scenario) throws -> Figures {
    let (status, data) = try runChild([scenario.name])
    guard status == 0, let figures = try? JSONDecoder().decode(Figures.self, from: data) else {
        print("\(scenario.name): failed (exit \(status))")
        exit(1)
    }
    return figures
}

func row(_ scenario: Scenario, _ figures: Figures) -> String {
    [
        scenario.name.padding(toLength: 17, withPad: " ", startingAt: 0),
        scenario.summary.padding(toLength: 54, withPad: " ", startingAt: 0),
        String(format: "%7.3f", figures.seconds),
        String(format: "%9.0f", figures.stepsPerSecond),
        String(format: "%7.1f", figures.peakRSSMiB),
        figures.rowsPerSecond.map { String(format: "%9.0f", $0) } ?? "        –",
        figures.extra.bytes.map { String(format: "%10d", $0) } ?? "          ",
        figures.extra.transactions.map { String(format: "%6d", $0) } ?? "",
    ].joined(separator: " ")
}

let header = "scenario          what                                                    wall s   steps/s  RSS MiB    rows/s  row bytes  fsyncs"
/// Measures `scenarios` one by one, printing a row for each; returns their figures by name.
func table(_ title: String, _ scenarios: [Scenario]) throws -> [String: Figures] {
    print("\n\(title)")
    print(header)
    var measured: [String: Figures] = [:]
    for scenario in scenarios {
        let figures = try measure(scenario)
        measured[scenario.name] = figures
        print(row(scenario, figures))
    }
    return measured
}

print("Cairn benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, release build, one process per scenario")
var measured = try table("In memory (InMemoryJournal):", Scenario.inMemory)
measured.merge(try table("Durable (SQLiteJournal, WAL, synchronous=FULL, temporary directory), with SQLite's own limits (one prepared statement):",
          Scenario.durable)) { $1 }
measured.merge(try table("Runs that talk (durable; each child or subscriber a run of its own, started in its parent's commit):",
                          Scenario.talk)) { $1 }
measured.merge(try table("History (durable journal of a looping run; row bytes = what its rows hold; a long run resumed):",
                          Scenario.history + [Scenario.resume])) { $1 }

print("\nGoals, each beside its baseline from this run:")
for goal in Goal.all(measured) { print(goal.line) }

print("\nWaits (durable journal; each figure in a process of its own):")
for goal in try WaitFigure.goals() { print(goal.line) }
