/// A set of word hashes with open addressing on the hash itself: the tokenizer's FNV-1a hashes are
/// already well mixed, so a lookup is a mask and a probe or two, with no rehashing.
struct HashedWordSet: Sendable, Hashable {
    private(set) var slots: [UInt64]
    let mask: Int
    let count: Int

    init(_ hashes: some Sequence<UInt64>) {
        let unique = Set(hashes.map { $0 == 0 ? 1 : $0 })
        var capacity = 4
        while capacity < unique.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for hash in unique {
            var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = hash
        }
        self.slots = slots
        self.mask = mask
        self.count = unique.count
    }

    @inline(__always)
    func contains(_ hash: UInt64) -> Bool {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.slots[slot]
            if stored == key { return true }
            if stored == 0 { return false }
            slot = (slot + 1) & self.mask
        }
    }
}

/// Word hash → values, with the same open addressing.
struct HashedWordMap<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private let mask: Int

    init(_ pairs: [UInt64: Value]) {
        var capacity = 4
        while capacity < pairs.count * 2 { capacity <<= 1 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var values = [Value?](repeating: nil, count: capacity)
        let mask = capacity - 1
        for (hash, value) in pairs {
            let key = hash == 0 ? 1 : hash
            var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
        self.keys = keys
        self.values = values
        self.mask = mask
    }

    @inline(__always)
    subscript(hash: UInt64) -> Value? {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.keys[slot]
            if stored == key { return self.values[slot] }
            if stored == 0 { return nil }
            slot = (slot + 1) & self.mask
        }
    }
}
