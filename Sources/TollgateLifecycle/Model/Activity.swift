public import Foundation
public import TollgateJSON

/// A request to move one version of a data product to one stage, and how it went.
public struct Activity: Sendable, Equatable {
    public var id: Int64
    public var dataProductId: String
    public var dataProductVersion: String
    public var stage: String
    public var status: ActivityStatus
    /// Results of the activity's tasks by task key, once it has succeeded.
    public var results: JSONValue?
    /// Why it failed: `{"<taskId>": "<errors>"}` or the blocking policies' reasons.
    public var errors: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Who created it.
    public var principal: String?
    /// The descriptor the activity was planned from, when it is being created (stores keep it
    /// apart: reads leave it nil, see ``LifecycleStore/descriptor(activityId:)``).
    public var descriptor: JSONValue?
    /// The stored row's version (0 before it is first stored); each commit that changes the
    /// activity or its tasks increases it, and a commit expecting an older version is refused.
    public var version: Int64

    public init(
        id: Int64, dataProductId: String, dataProductVersion: String, stage: String, status: ActivityStatus = .planned,
        results: JSONValue? = nil, errors: String? = nil, createdAt: Date, startedAt: Date? = nil,
        finishedAt: Date? = nil, principal: String? = nil, descriptor: JSONValue? = nil,
        version: Int64 = 0
    ) {
        self.id = id
        self.dataProductId = dataProductId
        self.dataProductVersion = dataProductVersion
        self.stage = stage
        self.status = status
        self.results = results
        self.errors = errors
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.principal = principal
        self.descriptor = descriptor
        self.version = version
    }
}
