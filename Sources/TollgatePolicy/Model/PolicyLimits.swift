/// Resource limits applied to every evaluation.
public struct PolicyLimits: Sendable, Equatable, Codable {
    /// Lua VM instructions one evaluation may execute. The default stops a runaway loop within a
    /// few milliseconds.
    public var instructionBudget: Int64
    /// Bytes one evaluation may allocate.
    public var memoryLimit: Int
    /// The largest string `string.rep` may build.
    public var maxStringBytes: Int
    /// Bound on the steps a pattern function (`find`, `match`, `gmatch`, `gsub`) may take; a call
    /// whose bound is higher is refused before it runs. The default allows tens of milliseconds.
    public var patternBudget: Double

    public init(
        instructionBudget: Int64 = 1_000_000, memoryLimit: Int = 16 << 20, maxStringBytes: Int = 1 << 20,
        patternBudget: Double = 10_000_000
    ) {
        self.instructionBudget = instructionBudget
        self.memoryLimit = memoryLimit
        self.maxStringBytes = maxStringBytes
        self.patternBudget = patternBudget
    }
}
