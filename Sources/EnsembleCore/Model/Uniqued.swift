extension Sequence where Element: Hashable {
    /// The elements without repeats, in order of first appearance.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return self.filter { seen.insert($0).inserted }
    }
}
