/// A growable stack that hands back a suffix as an array by moving, not copying.
///
/// The parser keeps the elements of every open container on one of these; closing a
/// container moves its elements into a fresh array without the retain/release pairs
/// that copying out of an `Array` and then removing the range would cost.
internal struct JSONParserStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// The number of elements on the stack.
    internal private(set) var count = 0

    internal init(initialCapacity: Int = 16) {
        capacity = max(1, initialCapacity)
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Pushes `element` onto the stack.
    @inline(__always)
    internal mutating func push(_ element: consuming Element) {
        if count == capacity {
            grow()
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Removes the elements from position `start` to the top and returns them in order.
    @inline(__always)
    internal mutating func popSuffix(from start: Int) -> [Element] {
        let moved = count - start
        guard moved > 0 else { return [] }
        let source = base + start
        // Measured faster than `Array(unsafeUninitializedCapacity:)`, whose unspecialized
        // implementation looks up generic metadata on every call.
        var result: [Element] = []
        result.reserveCapacity(moved)
        for offset in 0..<moved {
            result.append((source + offset).move())
        }
        count = start
        return result
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
