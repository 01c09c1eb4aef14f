/// 64-bit FNV-1a: the stable, seedable hash behind workflow fingerprints and seeded randomness.
package enum FNV1a {
    /// The FNV-1a offset basis.
    package static let basis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Hashes `bytes`, continuing from `start` (the basis for a fresh hash).
    package static func hash(_ bytes: some Sequence<UInt8>, from start: UInt64 = basis) -> UInt64 {
        var hash = start
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0100_0000_01b3
        }
        return hash
    }
}
