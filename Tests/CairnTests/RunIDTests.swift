import Cairn
import Foundation
import Testing

@Suite("Run ids")
struct RunIDTests {
    @Test("a run id prints as its UUID in lowercase, and parses back")
    func printsAsLowercaseUUID() {
        for uuid in (0..<2_000).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                                                         UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))] {
            let id = RunID(uuid)
            #expect(id.description == uuid.uuidString.lowercased())
            #expect(RunID(id.description) == id)
        }
    }
}
