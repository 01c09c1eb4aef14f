import Foundation

/// Who holds a lease: `host:pid:boot.start:suffix` — the host, the process id, the kernel's boot id (its
/// first 8 hex digits) and the process's start time in clock ticks since boot, and a random suffix that
/// tells apart the journals one process opens. On the same host that is enough to prove the owner gone: its
/// pid no longer exists, or belongs to a process that started at another time (the pid was reused), or the
/// machine booted since. Across hosts, and for owners written by older releases, only the lease's expiry says.
struct LeaseOwner: Equatable {
    let host: String
    let pid: Int32
    /// `boot.start`, or `nil` when it could not be read (not Linux).
    let incarnation: String?
    let suffix: String

    /// This process, with a new suffix.
    static func current() -> LeaseOwner {
        let pid = getpid()
        return LeaseOwner(host: ProcessInfo.processInfo.hostName, pid: pid, incarnation: incarnation(of: pid),
                          suffix: String(UUID().uuidString.prefix(8).lowercased()))
    }

    init(host: String, pid: Int32, incarnation: String?, suffix: String) {
        (self.host, self.pid, self.incarnation, self.suffix) = (host, pid, incarnation, suffix)
    }

    /// Parses an owner as ``description`` writes it; `nil` for other spellings (older releases).
    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let pid = Int32(parts[1]), parts[2].contains(".") else { return nil }
        self.init(host: parts[0], pid: pid, incarnation: parts[2], suffix: parts[3])
    }

    var description: String { "\(host):\(pid):\(incarnation ?? "-.-"):\(suffix)" }

    /// Whether the owner is certainly not running: only decidable for an owner on this host.
    var isProvablyGone: Bool {
        guard host == ProcessInfo.processInfo.hostName, let incarnation, incarnation != "-.-" else { return false }
        if incarnation.split(separator: ".").first.map(String.init) != Self.bootID { return true }  // booted since
        return Self.incarnation(of: pid) != incarnation  // no such process, or another one with its pid
    }

    /// The kernel's boot id, shortened.
    private static let bootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        return String(text.prefix(8))
    }()

    /// `boot.start` of a running process, or `nil` when there is none with that pid.
    static func incarnation(of pid: Int32) -> String? {
        guard let bootID, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name in parentheses: state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return "\(bootID).\(fields[19])"
    }
}
