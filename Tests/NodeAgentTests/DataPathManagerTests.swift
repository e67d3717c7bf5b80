import Testing

@testable import NodeAgent

/// The per-node slot accounting: concurrency, held slots and resumed data paths.
struct DataPathManagerTests {
    static func key(_ name: String) -> LoadKey { LoadKey(kind: .dataUpload, name: name) }

    @Test func heldAndRunningSlotsNeverExceedTheConcurrency() {
        let manager = DataPathManager(capacity: 2)
        #expect(manager.hold(Self.key("a")) && manager.hold(Self.key("b")))
        #expect(!manager.hold(Self.key("c")))
        #expect(manager.free == 0)
        // A held slot is taken over by its own load; another load finds the node full.
        #expect(manager.reserve(Self.key("a"), resumed: false))
        #expect(!manager.reserve(Self.key("c"), resumed: false))
        #expect(manager.releaseHold(Self.key("b")))
        #expect(!manager.releaseHold(Self.key("a")))  // running, not just held
        #expect(manager.reserve(Self.key("c"), resumed: false))
        #expect(!manager.reserve(Self.key("d"), resumed: false))
        // A resumed data path is admitted regardless.
        #expect(manager.reserve(Self.key("r"), resumed: true))
        #expect(manager.free == -1)
    }
}
