extension Sequence where Element: Hashable {
    /// The elements without repeats, in order of first appearance. Short lists (the usual: a few names
    /// or techniques) are checked by scanning, without building a set.
    func uniqued() -> [Element] {
        var result: [Element] = []
        var seen: Set<Element> = []
        for element in self {
            if result.count < 16 {
                if !result.contains(element) { result.append(element) }
            } else {
                if seen.isEmpty { seen = Set(result) }
                if seen.insert(element).inserted { result.append(element) }
            }
        }
        return result
    }
}
