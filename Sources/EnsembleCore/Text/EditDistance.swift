/// Levenshtein distance with an early exit, for fuzzy name matching (`Connor` ~ `Conor`).
public enum EditDistance {
    /// The edit distance between `a` and `b`, or nil when it exceeds `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int? {
        Self.distance(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: limit)
    }

    /// The same over scalars already split out (a caller comparing one word with many).
    public static func distance(_ left: [Unicode.Scalar], _ right: [Unicode.Scalar], limit: Int) -> Int? {
        if abs(left.count - right.count) > limit { return nil }
        if left.isEmpty { return right.count <= limit ? right.count : nil }
        if right.isEmpty { return left.count <= limit ? left.count : nil }
        var previous = Array(0...right.count)
        var current = [Int](repeating: 0, count: right.count + 1)
        for i in 1...left.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...right.count {
                let substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[right.count] <= limit ? previous[right.count] : nil
    }

    /// The number of words inserted, deleted or replaced to turn `a` into `b` (Levenshtein over words),
    /// in O(|a|·|b|) time and O(|b|) memory.
    public static func words(_ a: [String], _ b: [String]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
