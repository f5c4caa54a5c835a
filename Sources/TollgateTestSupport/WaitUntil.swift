/// Checks `condition` every 10 ms until it holds, up to `limit` worth of checks (five seconds on an
/// idle machine, longer on a loaded one, where each pause runs over); throws naming `what` otherwise.
public func waitUntil(_ what: String, within limit: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    for _ in 0..<max(1, Int(limit / .milliseconds(10))) {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw ConditionNeverHeld(description: "never: \(what)")
}

/// What ``waitUntil(_:within:_:)`` throws when its condition did not come true in time.
public struct ConditionNeverHeld: Error, CustomStringConvertible {
    public let description: String
}
