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

/// Word hash → a list of indexes, every list laid end to end in one array, so a lookup reads a range
/// of it instead of handing out an array of its own (no reference counting per lookup).
struct HashedWordIndex: Sendable {
    private var keys: [UInt64]
    private var starts: [Int32]
    private var ends: [Int32]
    private var items: [Int32]
    private let mask: Int

    /// Each key's indexes, deduplicated and in ascending order.
    init(_ lists: [UInt64: [Int]]) {
        var capacity = 4
        while capacity < lists.count * 2 { capacity <<= 1 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var starts = [Int32](repeating: 0, count: capacity)
        var ends = [Int32](repeating: 0, count: capacity)
        var items: [Int32] = []
        let mask = capacity - 1
        for (hash, list) in lists {
            let key = hash == 0 ? 1 : hash
            var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            starts[slot] = Int32(items.count)
            items += Set(list).sorted().map { Int32($0) }
            ends[slot] = Int32(items.count)
        }
        self.keys = keys
        self.starts = starts
        self.ends = ends
        self.items = items
        self.mask = mask
    }

    /// Calls `body` with each index listed under `hash`; returns whether there were any.
    @inline(__always) @discardableResult
    func forEach(_ hash: UInt64, _ body: (Int) -> Void) -> Bool {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.keys[slot]
            if stored == 0 { return false }
            if stored == key { break }
            slot = (slot + 1) & self.mask
        }
        for position in Int(self.starts[slot])..<Int(self.ends[slot]) { body(Int(self.items[position])) }
        return true
    }
}

/// What one word means to a set of patterns, found with one probe: the patterns it can open, and the
/// bit rows (one bit per pattern, `width` words each) of the patterns it anchors and second-anchors.
struct PatternWords: Sendable {
    struct Entry {
        /// Offsets into `rows`, or -1.
        var anchors: Int32
        var seconds: Int32
        /// The patterns the word opens: `openers[opening..<openingEnd]`.
        var opening: Int32
        var openingEnd: Int32
    }

    private var keys: [UInt64]
    private var entries: [Entry]
    private var rows: [UInt64]
    private var openers: [Int32]
    private let mask: Int
    let width: Int

    /// Each word's pattern indexes (all below `width * 64`) by role.
    init(opening: [UInt64: [Int]], anchors: [UInt64: [Int]], seconds: [UInt64: [Int]], width: Int) {
        let words = Set(opening.keys).union(anchors.keys).union(seconds.keys)
        var capacity = 4
        while capacity < words.count * 2 { capacity <<= 1 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var entries = [Entry](repeating: Entry(anchors: -1, seconds: -1, opening: 0, openingEnd: 0), count: capacity)
        var rows: [UInt64] = []
        var openers: [Int32] = []
        let mask = capacity - 1
        func row(_ list: [Int]?) -> Int32 {
            guard let list else { return -1 }
            var bits = [UInt64](repeating: 0, count: width)
            for index in list { bits[index >> 6] |= 1 << UInt64(index & 63) }
            rows += bits
            return Int32(rows.count - width)
        }
        for hash in words {
            let key = hash == 0 ? 1 : hash
            var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            let start = Int32(openers.count)
            openers += Set(opening[hash] ?? []).sorted().map { Int32($0) }
            entries[slot] = Entry(
                anchors: row(anchors[hash]), seconds: row(seconds[hash]), opening: start,
                openingEnd: Int32(openers.count))
        }
        self.keys = keys
        self.entries = entries
        self.rows = rows
        self.openers = openers
        self.mask = mask
        self.width = width
    }

    /// The entry of `hash`, or nil.
    @inline(__always)
    func entry(_ hash: UInt64) -> Entry? {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.keys[slot]
            if stored == 0 { return nil }
            if stored == key { return self.entries[slot] }
            slot = (slot + 1) & self.mask
        }
    }

    /// ORs the entry's anchor and second-anchor rows into `anchors` and `seconds`; returns whether it
    /// anchors any pattern.
    @inline(__always) @discardableResult
    func mark(_ entry: Entry, anchors: UnsafeMutablePointer<UInt64>, seconds: UnsafeMutablePointer<UInt64>) -> Bool {
        self.rows.withUnsafeBufferPointer { rows in
            if entry.seconds >= 0 {
                let offset = Int(entry.seconds)
                for word in 0..<self.width { seconds[word] |= rows[offset + word] }
            }
            guard entry.anchors >= 0 else { return false }
            let offset = Int(entry.anchors)
            for word in 0..<self.width { anchors[word] |= rows[offset + word] }
            return true
        }
    }

    /// The pattern at `position` of the openers list.
    @inline(__always)
    func opener(_ position: Int32) -> Int { Int(self.openers[Int(position)]) }
}
