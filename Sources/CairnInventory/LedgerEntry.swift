public import Cairn
import Foundation

/// One inventory decision: written to the ledger inside the commit of the step that decided it, so a
/// resumed run never writes it twice (the ledger also refuses a second row for one execution).
public struct LedgerEntry: DatabaseEffect, Equatable {
    /// What the decision does to the stock.
    public enum Decision: String, Codable, Sendable {
        /// Buy `orderQuantity` more units.
        case order
        /// Sell everything on hand.
        case clear
        /// An order a person refused (``ApprovalEvent``): no stock moves.
        case rejected
    }

    /// Units bought per order.
    public static let orderQuantity = 10

    public var sku: String
    public var decision: Decision
    public var round: Int
    /// The three sources' votes, when the workflow voted.
    public var votes: Votes?
    /// Who approved or rejected the order, and their note, when the run asked (``MonitorInput/approveOver``).
    public var approval: ApprovalEvent?

    public init(sku: String, decision: Decision, round: Int, votes: Votes? = nil, approval: ApprovalEvent? = nil) {
        self.sku = sku
        self.decision = decision
        self.round = round
        self.votes = votes
        self.approval = approval
    }

    /// What the entry did to `sku`, for progress lines: `ordered stock of Apple (approved by ada)`, ….
    var summary: String {
        switch decision {
        case .order: "ordered stock of \(sku)" + (approval.map { " (approved by \($0.by))" } ?? "")
        case .clear: "cleared out \(sku)"
        case .rejected: "did not order \(sku) (rejected by \(approval?.by ?? "?"))"
        }
    }

    /// Inserts the ledger row and moves the stock. A clear-out reads the stock inside the same
    /// transaction, so the quantity it removes is the quantity on hand at its commit.
    public func apply(in transaction: any CommitTransaction, origin: CommitOrigin) throws {
        let onHand = try transaction.query("SELECT quantity FROM stock_level WHERE sku = ?", [.text(sku)]).first?.first?.integer ?? 0
        let quantity = switch decision {
        case .order: Int64(Self.orderQuantity)
        case .clear: -onHand
        case .rejected: Int64(0)
        }
        guard let trigger = origin.triggers.first else {
            throw CairnError(.internalInconsistency, "ledger entry of step '\(origin.step)' has no decision event", step: origin.step)
        }
        func optional(_ text: String?) -> SQLValue { text.map(SQLValue.text) ?? .null }
        try transaction.execute("""
            INSERT INTO ledger_entry (sku, decision, quantity, round, run_id, execution_id, step, decision_seq, decision_event,
                                      vote_online, vote_offline, vote_trend, at, approved_by, approval_note)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(sku), .text(decision.rawValue), .integer(quantity), .integer(Int64(round)), .text(origin.runID.description),
                  .integer(Int64(origin.executionID)), .text(origin.step), .integer(Int64(trigger.seq)), .text(trigger.name),
                  optional(votes?.online.rawValue), optional(votes?.offline.rawValue), optional(votes?.trend.rawValue),
                  .text(origin.at.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
                  optional(approval?.by), optional(approval?.note)])
        try transaction.execute("""
            INSERT INTO stock_level (sku, quantity) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET quantity = stock_level.quantity + excluded.quantity
            """, [.text(sku), .integer(quantity)])
    }
}
