/// Resource limits applied to every evaluation, and to loading a policy file (its top level).
public struct PolicyLimits: Sendable, Equatable, Codable {
    /// Lua VM instructions one evaluation may execute, C work of the libraries included (a byte a
    /// library function reads whole or produces counts 1/16). The default stops a runaway loop
    /// within a few milliseconds.
    public var instructionBudget: Int64
    /// Bytes one evaluation may allocate, its encoded result included.
    public var memoryLimit: Int
    /// The largest string `string.rep` may build.
    public var maxStringBytes: Int
    /// Bound on the steps a pattern function (`find`, `match`, `gmatch`, `gsub`) may take; a call
    /// whose bound is higher is refused before it runs. The default allows tens of milliseconds.
    public var patternBudget: Double
    /// Wall-clock time one evaluation (or one load) may take, whatever it does.
    public var deadlineMilliseconds: Int
    /// The largest encoded result: a decision's reasons and details, a policy's declaration.
    public var maxResultBytes: Int

    public init(
        instructionBudget: Int64 = 1_000_000, memoryLimit: Int = 16 << 20, maxStringBytes: Int = 1 << 20,
        patternBudget: Double = 10_000_000, deadlineMilliseconds: Int = 1_000, maxResultBytes: Int = 256 << 10
    ) {
        self.instructionBudget = instructionBudget
        self.memoryLimit = memoryLimit
        self.maxStringBytes = maxStringBytes
        self.patternBudget = patternBudget
        self.deadlineMilliseconds = deadlineMilliseconds
        self.maxResultBytes = maxResultBytes
    }
}
