/// Waits (up to five seconds) until `condition` holds; throws naming `what` otherwise.
public func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<500 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw ConditionNeverHeld(description: "never: \(what)")
}

/// What ``waitUntil(_:_:)`` throws when its condition did not come true in time.
public struct ConditionNeverHeld: Error, CustomStringConvertible {
    public let description: String
}
