extension Workflow {
    /// Refuses to let this code drive (resume, fork) a run that another version of the workflow started,
    /// unless the workflow declares that version compatible, or today's code only accepts more events from
    /// outside (``Workflow/accepts``) than the run's. Checked on the start record alone, before the
    /// run's journal is rebuilt, so the refusal says what changed rather than where rebuilding failed.
    ///
    /// - Throws: ``CairnError/Code/fingerprintMismatch`` naming the run, what changed (steps added, removed
    ///   or renamed, event names consumed or emitted) or the two versions, and what to do.
    func checkCanDrive(_ started: RunStarted, graph: WorkflowGraph, doing action: String) throws {
        guard started.workflow == Self.name else {
            throw CairnError(.fingerprintMismatch, "run \(started.runID) belongs to workflow '\(started.workflow)', not '\(Self.name)'")
        }
        if started.fingerprint != graph.fingerprint, !compatibleFingerprints.contains(started.fingerprint), !graph.onlyAcceptsMore(than: started.shape) {
            let changes = ShapeChange(old: started.shape, new: graph.shape).changes
            throw CairnError(.fingerprintMismatch, "run \(started.runID) cannot be \(action) by this code: it was started by "
                + "workflow '\(Self.name)' with fingerprint \(started.fingerprint), and today's steps differ (fingerprint "
                + "\(graph.fingerprint)): \(changes.joined(separator: "; ")). Use the binary that started it, or, if today's "
                + "steps can finish it, add \"\(started.fingerprint)\" to the workflow's compatibleFingerprints")
        }
        if let runVersion = started.version, runVersion != version, !compatibleVersions.contains(runVersion) {
            throw CairnError(.fingerprintMismatch, "run \(started.runID) cannot be \(action) by this code: it was started by "
                + "version '\(runVersion)' of workflow '\(Self.name)', and this code is "
                + (version.map { "version '\($0)'" } ?? "unversioned")
                + ". Use the binary that started it, or, if this code can finish it, add \"\(runVersion)\" to the workflow's "
                + "compatibleVersions")
        }
    }
}
