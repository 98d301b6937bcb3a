/// A first-in, first-out queue over one array: taking from the front moves a head index instead of
/// shifting elements, and the spent prefix is dropped once it is most of the storage. Elements keep
/// their position (`position(of:)` counts from the first element ever appended), so a ticket can
/// address one in O(1).
struct SlidingQueue<Element> {
    private var storage: [Element] = []
    private var head = 0
    /// Positions of elements already taken from the front.
    private(set) var taken = 0

    var isEmpty: Bool { self.head == self.storage.count }
    var first: Element? { self.isEmpty ? nil : self.storage[self.head] }
    /// The position the next appended element will have.
    var endPosition: Int { self.taken + self.storage.count - self.head }

    mutating func append(_ element: Element) { self.storage.append(element) }

    mutating func popFirst() -> Element? {
        guard !self.isEmpty else { return nil }
        let element = self.storage[self.head]
        self.head += 1
        self.taken += 1
        self.compact()
        return element
    }

    /// The element at an absolute position, if it is still queued.
    subscript(position position: Int) -> Element? {
        get {
            let slot = self.head + position - self.taken
            return position >= self.taken && slot < self.storage.count ? self.storage[slot] : nil
        }
        set {
            let slot = self.head + position - self.taken
            guard position >= self.taken, slot < self.storage.count, let newValue else { return }
            self.storage[slot] = newValue
        }
    }

    private mutating func compact() {
        if self.head == self.storage.count {
            self.storage.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head >= 256 && self.head * 2 >= self.storage.count {
            self.storage.removeFirst(self.head)
            self.head = 0
        }
    }
}
