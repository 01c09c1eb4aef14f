import Foundation

// Runs every scenario in a child process of this binary (so each peak RSS is its own) and prints a table.
// `cairn-bench <scenario>` runs one scenario and prints its figures as JSON.

let arguments = CommandLine.arguments.dropFirst()

if let name = arguments.first {
    guard let scenario = Scenario.all.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("unknown scenario '\(name)'; the scenarios are \(Scenario.all.map(\.name).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    let clock = ContinuousClock()
    let elapsed = try await clock.measure { try await scenario.body() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let figures = Figures(name: name, seconds: seconds, stepsPerSecond: Double(scenario.steps) / seconds, peakRSSMiB: peakRSSMiB())
    print(String(decoding: try JSONEncoder().encode(figures), as: UTF8.self))
    exit(0)
}

print("Cairn in-memory benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, one process per scenario")
print("scenario          what                                              wall s   steps/s     peak RSS MiB")
for scenario in Scenario.all {
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
    let row = [
        scenario.name.padding(toLength: 18, withPad: " ", startingAt: 0),
        scenario.summary.padding(toLength: 50, withPad: " ", startingAt: 0),
        String(format: "%6.3f", figures.seconds),
        String(format: "%10.0f", figures.stepsPerSecond),
        String(format: "%8.1f", figures.peakRSSMiB),
    ]
    print(row.joined(separator: " "))
}
