/// Fixed-size storage that an `Evaluator` allocates once in `init` and frees in `deinit`, read and written
/// through a raw pointer. Hand-written instead of `[Element]` because it is the product's speed: an array
/// stored in a class costs a uniqueness check on every write and a retain/release pair around many reads
/// (together about a sixth of an evaluation's time, benchmarks/README.md). Only for trivial element types.
struct Slots<Element>: RandomAccessCollection {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    static func allocate(copying elements: [Element]) -> Slots {
        let base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(elements.count, 1))
        elements.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { base.initialize(from: start, count: source.count) }
        }
        return Slots(base: base, count: elements.count)
    }

    static func allocate(repeating element: Element, count: Int) -> Slots {
        let base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: element, count: count)
        return Slots(base: base, count: count)
    }

    func deallocate() { base.deallocate() }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    @inline(__always)
    subscript(position: Int) -> Element {
        get { base[position] }
        nonmutating set { base[position] = newValue }
    }
}

/// A list of at most `capacity` elements in storage allocated once (see `Slots`): appending never allocates.
struct SlotList<Element>: RandomAccessCollection {
    let base: UnsafeMutablePointer<Element>
    let capacity: Int
    /// How many elements are in use; set directly by code that writes `base` itself.
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(capacity, 1))
    }

    func deallocate() { base.deallocate() }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    @inline(__always)
    subscript(position: Int) -> Element { base[position] }

    /// Appends; the capacity is sized from the policy, so a full list is a bug in the engine.
    @inline(__always)
    mutating func append(_ element: Element) {
        precondition(count < capacity, "evaluator list over its capacity")
        (base + count).initialize(to: element)
        count += 1
    }

    @inline(__always)
    mutating func removeAll() { count = 0 }
}
