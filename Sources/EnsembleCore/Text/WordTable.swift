/// FNV-1a over UTF-8: the word hash computed once per word by the tokenizer.
@inlinable
public func wordHash(_ text: String) -> UInt64 {
    var hash = FNV1a.basis
    for byte in text.utf8 { hash = FNV1a.step(hash, byte) }
    return hash
}

/// The steps of the word hash, shared by `wordHash` and the tokenizer's byte loops so they agree.
@usableFromInline
enum FNV1a {
    @inlinable static var basis: UInt64 { 0xCBF2_9CE4_8422_2325 }

    @inlinable @inline(__always)
    static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
}

/// A read-only map from words to values, keyed by the hash the tokenizer already computed.
///
/// Every word of every utterance is looked up in several lexicons; open addressing on a precomputed
/// hash avoids re-hashing strings with `Hasher` for each lookup.
public struct WordTable<Value: Sendable>: Sendable {
    private var keys: [String?]
    /// Each slot's word hash, with 0 (never a word's hash: FNV-1a of a non-empty word; a word hashing
    /// to it is stored as 1) marking an empty slot, so a miss reads only this array.
    private var hashes: [UInt64]
    private var values: [Value?]
    private let mask: Int
    public let count: Int

    @usableFromInline
    static func stored(_ hash: UInt64) -> UInt64 { hash == 0 ? 1 : hash }

    public init(_ pairs: some Sequence<(String, Value)>) {
        var unique: [String: Value] = [:]
        for (key, value) in pairs { unique[key] = value }
        var capacity = 8
        while capacity < unique.count * 2 { capacity <<= 1 }
        self.keys = Array(repeating: nil, count: capacity)
        self.hashes = Array(repeating: 0, count: capacity)
        self.values = Array(repeating: nil, count: capacity)
        self.mask = capacity - 1
        self.count = unique.count
        for (key, value) in unique {
            let hash = wordHash(key)
            var slot = Int(truncatingIfNeeded: hash) & self.mask
            while self.keys[slot] != nil { slot = (slot + 1) & self.mask }
            self.keys[slot] = key
            self.hashes[slot] = Self.stored(hash)
            self.values[slot] = value
        }
    }

    public var isEmpty: Bool { self.count == 0 }

    @inlinable
    public subscript(word: Word) -> Value? { self.value(for: word.folded, hash: word.hash) }

    public subscript(text: String) -> Value? { self.value(for: text, hash: wordHash(text)) }

    @usableFromInline
    func value(for text: String, hash: UInt64) -> Value? {
        guard self.count > 0 else { return nil }
        let wanted = Self.stored(hash)
        var slot = Int(truncatingIfNeeded: hash) & self.mask
        return self.hashes.withUnsafeBufferPointer { hashes in
            while true {
                let stored = hashes[slot]
                if stored == 0 { return nil }
                if stored == wanted && self.keys[slot] == text { return self.values[slot] }
                slot = (slot + 1) & self.mask
            }
        }
    }

    public func contains(_ word: Word) -> Bool { self[word] != nil }

    public func contains(_ text: String) -> Bool { self[text] != nil }
}
