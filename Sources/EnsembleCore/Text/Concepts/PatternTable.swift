/// Compiled patterns as plain integers in memory of their own: matching walks them without touching a
/// reference count, which the recursive matcher over arrays of enums with array payloads did at every
/// step. Built once with the matcher and never changed, so it is safe to share.
final class PatternTable: @unchecked Sendable {
    /// One step of a pattern.
    struct Step {
        static let words: UInt8 = 0
        static let gap: UInt8 = 1
        static let slot: UInt8 = 2
        static let number: UInt8 = 3
        static let end: UInt8 = 4

        var kind: UInt8
        var optional: Bool
        /// words: the set of one-word alternatives (-1: none); gap: its limit; slot: the slot kind.
        var a: Int32
        /// words: the first of its multi-word sequences, and how many.
        var b: Int32
        var c: Int32
    }

    let steps: UnsafeMutableBufferPointer<Step>
    /// Every word set's open-addressed slots, one set after another.
    private let slots: UnsafeMutableBufferPointer<UInt64>
    private let setOffsets: UnsafeMutableBufferPointer<Int>
    private let setMasks: UnsafeMutableBufferPointer<Int>
    /// Multi-word sequences: each a run of set indexes in `sequenceSets`.
    let sequenceSets: UnsafeMutableBufferPointer<Int32>
    let sequenceStarts: UnsafeMutableBufferPointer<Int32>
    let sequenceLengths: UnsafeMutableBufferPointer<Int32>
    /// Each pattern's first step; every pattern ends with an `end` step.
    let patternStarts: UnsafeMutableBufferPointer<Int32>

    /// Builds the table from each pattern's steps, where a words step's `a` and sequences index `sets`
    /// and `sequences`.
    init(patterns: [[Step]], sets: [HashedWordSet], sequences: [[Int32]]) {
        func buffer<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
            let pointer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
            _ = pointer.initialize(from: values)
            return pointer
        }
        var steps: [Step] = []
        var starts: [Int32] = []
        for pattern in patterns {
            starts.append(Int32(steps.count))
            steps += pattern
            steps.append(Step(kind: Step.end, optional: false, a: 0, b: 0, c: 0))
        }
        var slots: [UInt64] = []
        var offsets: [Int] = []
        var masks: [Int] = []
        for set in sets {
            offsets.append(slots.count)
            masks.append(set.mask)
            slots += set.slots
        }
        var sequenceSets: [Int32] = []
        var sequenceStarts: [Int32] = []
        var sequenceLengths: [Int32] = []
        for sequence in sequences {
            sequenceStarts.append(Int32(sequenceSets.count))
            sequenceLengths.append(Int32(sequence.count))
            sequenceSets += sequence
        }
        self.steps = buffer(steps)
        self.slots = buffer(slots)
        self.setOffsets = buffer(offsets)
        self.setMasks = buffer(masks)
        self.sequenceSets = buffer(sequenceSets)
        self.sequenceStarts = buffer(sequenceStarts)
        self.sequenceLengths = buffer(sequenceLengths)
        self.patternStarts = buffer(starts)
    }

    deinit {
        self.steps.deallocate()
        self.slots.deallocate()
        self.setOffsets.deallocate()
        self.setMasks.deallocate()
        self.sequenceSets.deallocate()
        self.sequenceStarts.deallocate()
        self.sequenceLengths.deallocate()
        self.patternStarts.deallocate()
    }

    /// Whether word set `set` holds `hash` (the same probing as `HashedWordSet`).
    @inline(__always)
    func contains(_ set: Int32, _ hash: UInt64) -> Bool {
        let key = hash == 0 ? 1 : hash
        let offset = self.setOffsets[Int(set)]
        let mask = self.setMasks[Int(set)]
        var slot = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
        while true {
            let stored = self.slots[offset + slot]
            if stored == key { return true }
            if stored == 0 { return false }
            slot = (slot + 1) & mask
        }
    }
}
