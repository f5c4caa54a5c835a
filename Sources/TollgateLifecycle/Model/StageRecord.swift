public import Foundation
public import TollgateJSON

/// One stage a version has been in (ODM's "lifecycle"); the current stage has no `finishedAt`.
public struct StageRecord: Sendable, Equatable {
    public var id: Int64
    public var dataProductId: String
    public var dataProductVersion: String
    public var stage: String
    /// The activity that promoted the version to this stage.
    public var activityId: Int64
    public var results: JSONValue?
    public var startedAt: Date
    public var finishedAt: Date?

    public init(
        id: Int64, dataProductId: String, dataProductVersion: String, stage: String, activityId: Int64,
        results: JSONValue?, startedAt: Date, finishedAt: Date? = nil
    ) {
        self.id = id
        self.dataProductId = dataProductId
        self.dataProductVersion = dataProductVersion
        self.stage = stage
        self.activityId = activityId
        self.results = results
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
