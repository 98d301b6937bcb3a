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

/// The open-addressed keys behind `HashedWordMap`, `HashedWordIndex` and `PatternWords`: each key's
/// slot, which indexes the owner's own arrays of values.
struct SlotTable: Sendable {
    private(set) var keys: [UInt64]
    let mask: Int

    /// Room for `count` keys at most half full.
    init(count: Int) {
        var capacity = 4
        while capacity < count * 2 { capacity <<= 1 }
        self.keys = [UInt64](repeating: 0, count: capacity)
        self.mask = capacity - 1
    }

    var capacity: Int { self.keys.count }

    /// Places a new key; returns its slot.
    mutating func place(_ hash: UInt64) -> Int {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while self.keys[slot] != 0 { slot = (slot + 1) & self.mask }
        self.keys[slot] = key
        return slot
    }

    /// The slot of `hash`, or nil.
    @inline(__always)
    func slot(of hash: UInt64) -> Int? {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & self.mask
        while true {
            let stored = self.keys[slot]
            if stored == key { return slot }
            if stored == 0 { return nil }
            slot = (slot + 1) & self.mask
        }
    }
}

/// Word hash → values, with the same open addressing.
struct HashedWordMap<Value: Sendable>: Sendable {
    private let table: SlotTable
    private var values: [Value?]

    init(_ pairs: [UInt64: Value]) {
        var table = SlotTable(count: pairs.count)
        var values = [Value?](repeating: nil, count: table.capacity)
        for (hash, value) in pairs { values[table.place(hash)] = value }
        self.table = table
        self.values = values
    }

    @inline(__always)
    subscript(hash: UInt64) -> Value? {
        self.table.slot(of: hash).flatMap { self.values[$0] }
    }
}

/// Word hash → a list of indexes, every list laid end to end in one array, so a lookup reads a range
/// of it instead of handing out an array of its own (no reference counting per lookup).
struct HashedWordIndex: Sendable {
    private let table: SlotTable
    private var starts: [Int32]
    private var ends: [Int32]
    private var items: [Int32]

    /// Each key's indexes, deduplicated and in ascending order.
    init(_ lists: [UInt64: [Int]]) {
        var table = SlotTable(count: lists.count)
        var starts = [Int32](repeating: 0, count: table.capacity)
        var ends = [Int32](repeating: 0, count: table.capacity)
        var items: [Int32] = []
        for (hash, list) in lists {
            let slot = table.place(hash)
            starts[slot] = Int32(items.count)
            items += Set(list).sorted().map { Int32($0) }
            ends[slot] = Int32(items.count)
        }
        self.table = table
        self.starts = starts
        self.ends = ends
        self.items = items
    }

    /// Calls `body` with each index listed under `hash`; returns whether there were any.
    @inline(__always) @discardableResult
    func forEach(_ hash: UInt64, _ body: (Int) -> Void) -> Bool {
        guard let slot = self.table.slot(of: hash) else { return false }
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

    private let table: SlotTable
    private var entries: [Entry]
    private var rows: [UInt64]
    private var openers: [Int32]
    let width: Int

    /// Each word's pattern indexes (all below `width * 64`) by role.
    init(opening: [UInt64: [Int]], anchors: [UInt64: [Int]], seconds: [UInt64: [Int]], width: Int) {
        let words = Set(opening.keys).union(anchors.keys).union(seconds.keys)
        var table = SlotTable(count: words.count)
        var entries = [Entry](
            repeating: Entry(anchors: -1, seconds: -1, opening: 0, openingEnd: 0), count: table.capacity)
        var rows: [UInt64] = []
        var openers: [Int32] = []
        func row(_ list: [Int]?) -> Int32 {
            guard let list else { return -1 }
            var bits = [UInt64](repeating: 0, count: width)
            for index in list { bits[index >> 6] |= 1 << UInt64(index & 63) }
            rows += bits
            return Int32(rows.count - width)
        }
        for hash in words {
            let slot = table.place(hash)
            let start = Int32(openers.count)
            openers += Set(opening[hash] ?? []).sorted().map { Int32($0) }
            entries[slot] = Entry(
                anchors: row(anchors[hash]), seconds: row(seconds[hash]), opening: start,
                openingEnd: Int32(openers.count))
        }
        self.table = table
        self.entries = entries
        self.rows = rows
        self.openers = openers
        self.width = width
    }

    /// The entry of `hash`, or nil.
    @inline(__always)
    func entry(_ hash: UInt64) -> Entry? {
        self.table.slot(of: hash).map { self.entries[$0] }
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
