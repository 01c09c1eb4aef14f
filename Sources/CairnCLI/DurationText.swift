import Cairn
import Foundation

/// Durations as people read them: `850 ms`, `12.4 s`, `3 m 05 s`, `2 h 10 m` (`--json` keeps seconds as numbers).
package enum DurationText {
    package static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if (seconds * 1000).rounded() < 1000 { return "\(Int((seconds * 1000).rounded())) ms" }
        if (seconds * 10).rounded() < 600 { return String(format: "%.1f s", seconds) }
        if seconds.rounded() < 3600 {
            let whole = Int(seconds.rounded())
            return String(format: "%d m %02d s", whole / 60, whole % 60)
        }
        let minutes = Int((seconds / 60).rounded())
        return String(format: "%d h %02d m", minutes / 60, minutes % 60)
    }

    /// A run's duration, one definition everywhere: finished − started; a live run is "running for …", and an
    /// interrupted one has none (no process is running it).
    static func of(_ run: RunSummary, now: Date = Date()) -> String {
        if let seconds = run.durationSeconds { return format(seconds) }
        return run.interrupted ? "—" : "running for \(format(now.timeIntervalSince(run.createdAt)))"
    }
}
