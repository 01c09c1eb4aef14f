/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over `bytes`, mixed into `seed`: a stable seed for one step execution.
    static func seed(_ seed: UInt64, mixing parts: [some Sequence<UInt8>]) -> UInt64 {
        // Each part is followed by a 0xff byte, so ["ab", "c"] and ["a", "bc"] differ.
        parts.reduce(FNV1a.basis ^ seed) { hash, part in FNV1a.hash([0xff], from: FNV1a.hash(part, from: hash)) }
    }
}
