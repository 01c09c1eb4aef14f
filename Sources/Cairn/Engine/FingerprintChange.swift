/// What changed between the workflow shape a run was started with and today's.
struct FingerprintChange {
    let old: String
    let new: String

    func sentence(runID: RunID) -> String {
        let before = Set(old.split(separator: "\n").map(String.init))
        let after = Set(new.split(separator: "\n").map(String.init))
        let removed = before.subtracting(after).sorted().map { "was: \($0)" }
        let added = after.subtracting(before).sorted().map { "now: \($0)" }
        return "run \(runID) was started by another version of this workflow and cannot be resumed by this one ("
            + (removed + added).joined(separator: "; ")
            + "). Resume it with the version that started it, or declare its fingerprint compatible."
    }
}
