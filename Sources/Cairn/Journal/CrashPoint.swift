import Foundation

/// A test-only switch that kills the process at a chosen point, so crash tests choose where a SIGKILL
/// lands instead of hoping a timer hits a commit.
///
/// `CAIRN_CRASH_AT=before-commit:3` kills the process with SIGKILL the third time it reaches the
/// `before-commit` point. `CAIRN_PAUSE_AT=after-commit:2` stops it there instead (SIGSTOP), so a test can
/// signal a run at a known place and let it go on with SIGCONT. Unset, every check is one comparison.
public enum CrashPoint {
    private static func target(_ variable: String) -> (name: String, count: Int)? {
        guard let spec = ProcessInfo.processInfo.environment[variable] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[1]) else { return nil }
        return (String(parts[0]), count)
    }

    private static let crash = target("CAIRN_CRASH_AT")
    private static let pause = target("CAIRN_PAUSE_AT")
    private static let crashHits = LockedCounter()
    private static let pauseHits = LockedCounter()

    /// Kills (or stops) the process when `name` is the configured point and this is its configured occurrence.
    public static func reach(_ name: String) {
        if let crash, crash.name == name, crashHits.increment() == crash.count {
            FileHandle.standardError.write(Data("cairn: crash point \(name):\(crash.count) reached, killing the process\n".utf8))
            kill(getpid(), SIGKILL)
        }
        if let pause, pause.name == name, pauseHits.increment() == pause.count {
            kill(getpid(), SIGSTOP)
        }
    }
}

import Synchronization

private final class LockedCounter: Sendable {
    private let value = Mutex(0)

    func increment() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }
}
