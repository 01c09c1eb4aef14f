import Foundation

// Runs every scenario in a child process of this binary (so each peak RSS is its own) and prints a table.
// `cairn-bench <scenario>` runs one scenario and prints its figures as JSON.

let arguments = CommandLine.arguments.dropFirst()

if let name = arguments.first {
    let scenarios = Scenario.all + Scenario.durable
    guard let scenario = scenarios.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("unknown scenario '\(name)'; the scenarios are \(scenarios.map(\.name).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    let clock = ContinuousClock()
    let elapsed = try await clock.measure { try await scenario.body() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let figures = Figures(name: name, seconds: seconds, stepsPerSecond: Double(scenario.steps) / seconds, peakRSSMiB: peakRSSMiB())
    print(String(decoding: try JSONEncoder().encode(figures), as: UTF8.self))
    exit(0)
}

/// Runs one scenario in a child process of this binary and returns its figures.
func measure(_ scenario: Scenario) throws -> Figures {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = [scenario.name]
    let output = Pipe()
    child.standardOutput = output
    try child.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    child.waitUntilExit()
    guard child.terminationStatus == 0, let figures = try? JSONDecoder().decode(Figures.self, from: data) else {
        print("\(scenario.name): failed (exit \(child.terminationStatus))")
        exit(1)
    }
    return figures
}

func row(_ scenario: Scenario, _ figures: Figures, ratio: String = "") -> String {
    [
        scenario.name.padding(toLength: 17, withPad: " ", startingAt: 0),
        scenario.summary.padding(toLength: 54, withPad: " ", startingAt: 0),
        String(format: "%7.3f", figures.seconds),
        String(format: "%9.0f", figures.stepsPerSecond),
        String(format: "%7.1f", figures.peakRSSMiB),
        ratio,
    ].joined(separator: " ")
}

let header = "scenario          what                                                    wall s   steps/s  RSS MiB"
print("Cairn benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, release build, one process per scenario\n")
print("In memory (InMemoryJournal):")
print(header)
for scenario in Scenario.all { print(row(scenario, try measure(scenario))) }

print("\nDurable (SQLiteJournal, WAL, synchronous=FULL, temporary directory), with SQLite's own limits:")
print(header + "  vs 1 row/tx")
var limit: Double?
for scenario in Scenario.durable {
    let figures = try measure(scenario)
    limit = limit ?? figures.stepsPerSecond
    print(row(scenario, figures, ratio: String(format: "%6.2f×", figures.stepsPerSecond / (limit ?? 1))))
}
