import Cairn
@testable import CairnSQLite
import Foundation
import Testing

@Suite("Journal timestamps")
struct TimestampTests {
    @Test("the hand-made text is the ISO 8601 format style's, for times across the years and every millisecond edge")
    func sameAsTheFormatStyle() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        var dates = [0, -1, 0.0005, 0.9999, 946_684_799.999, 951_782_400, 4_102_444_800, -62_135_596_800, 253_402_300_799.999]
            .map { Date(timeIntervalSince1970: $0) }
        dates += (0..<5_000).map { _ in Date(timeIntervalSince1970: Double.random(in: -2e9...4e9, using: &generator)) }
        for date in dates {
            #expect(Timestamp.text(date) == date.formatted(style), "\(date.timeIntervalSince1970)")
        }
    }
}

@Suite("Hand-written journal JSON")
struct HandWrittenJSONTests {
    @Test("trigger lists written by hand decode as the encoder's do, names needing escapes included")
    func triggerLists() throws {
        let triggers: [(name: String, seq: Int)] = [("inventory.order", 3), (#"odd "name" \ here"#, 7), ("naïve.évent", 12)]
        for list in [[], Array(triggers.prefix(1)), triggers] {
            let decoded = try JSONDecoder().decode([TriggerRef].self, from: Data(try JournalRows.json(triggers: list).utf8))
            #expect(decoded.map(\.name) == list.map(\.name) && decoded.map(\.seq) == list.map(\.seq))
        }
        #expect(try JSONDecoder().decode([Int].self, from: Data(JournalRows.json(seqs: [4, 5, 6]).utf8)) == [4, 5, 6])
        #expect(JournalRows.json(seqs: []) == "[]")
    }
}
