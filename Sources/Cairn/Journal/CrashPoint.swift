import Foundation

/// A test-only switch that kills the process at a chosen point, so crash tests choose where a SIGKILL
/// lands instead of hoping a timer hits a commit.
///
/// `CAIRN_CRASH_AT=before-commit:3` kills the process with SIGKILL the third time it reaches the
/// `before-commit` point. Unset, every check is one comparison.
public enum CrashPoint {
    private static let target: (name: String, count: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["CAIRN_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[1]) else { return nil }
        return (String(parts[0]), count)
    }()

    private static let hits = LockedCounter()

    /// Kills the process when `name` is the configured point and this is its configured occurrence.
    public static func reach(_ name: String) {
        guard let target, target.name == name else { return }
        if hits.increment() == target.count {
            FileHandle.standardError.write(Data("cairn: crash point \(name):\(target.count) reached, killing the process\n".utf8))
            kill(getpid(), SIGKILL)
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
