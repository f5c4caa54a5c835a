import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore
import TollgateJSON
public import TollgateLifecycle

/// An error answered in ODM's error body:
/// `{"status", "code", "description", "message", "path", "timestamp"}`.
public struct ODMError: Error, HTTPResponseError {
    public var status: HTTPResponse.Status
    /// ODM's five-digit code (Tollgate's own for policy blocks).
    public var code: String
    /// The code's fixed description.
    public var summary: String
    /// What happened, specifically, and what to do.
    public var message: String
    /// Headers sent with the answer (`Allow` with a 405).
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, summary: String, message: String) {
        self.status = status
        self.code = code
        self.summary = summary
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body(path: request.uri.path))))
    }

    /// The error body for a request to `path`.
    func body(path: String) -> String {
        let body: JSONValue = [
            "status": .int(Int64(status.code)), "code": .string(code), "description": .string(summary),
            "message": .string(message), "path": .string(path),
            "timestamp": .int(Int64(Date().timeIntervalSince1970 * 1000)),
        ]
        return body.serialized()
    }

    // MARK: The codes
    // Descriptions are ODM's own words (its `ODMApiCommonErrors` and `DevOpsApiStandardErrors`),
    // so clients that match on them keep working; Tollgate's own codes follow the same rule: the
    // first three digits are the HTTP status.

    static func unreadableBody(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40000", summary: "Request body is not readable", message: message)
    }

    static func invalidActivityAction(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40055", summary: "Activity status action is invalid", message: message)
    }

    static func invalidTaskAction(_ message: String) -> ODMError {
        ODMError(status: .badRequest, code: "40065", summary: "Task status action is invalid", message: message)
    }

    static func invalidTaskResult(_ message: String) -> ODMError {
        ODMError(status: .unprocessableContent, code: "42203", summary: "Task Result resource is invalid", message: message)
    }

    static func routeNotFound(_ message: String) -> ODMError {
        ODMError(status: .notFound, code: "40400", summary: "Resource not found", message: message)
    }

    static func methodNotAllowed(_ message: String) -> ODMError {
        ODMError(status: .methodNotAllowed, code: "40500", summary: "Request method not supported", message: message)
    }

    static func bodyTooLarge(_ message: String) -> ODMError {
        ODMError(status: .contentTooLarge, code: "41300", summary: "Request body is too large", message: message)
    }

    static func unsupportedMediaType(_ message: String) -> ODMError {
        ODMError(status: .unsupportedMediaType, code: "41501", summary: "Request media type not supported", message: message)
    }

    static func notAcceptable(_ message: String) -> ODMError {
        ODMError(status: .notAcceptable, code: "40601", summary: "Request accepted media types not supported", message: message)
    }

    static func internalError(_ message: String) -> ODMError {
        ODMError(status: .internalServerError, code: "50000", summary: "Error in the backend service", message: message)
    }

    static let missingCallbackToken = ODMError(
        status: .unauthorized, code: "40101", summary: "Callback token missing",
        message: "callbacks must use the callbackRef Tollgate gave the executor, token included")

    static let wrongCallbackToken = ODMError(
        status: .forbidden, code: "40301", summary: "Callback token invalid",
        message: "the callback token is not valid for this task")

    /// Maps an engine error to its ODM answer.
    public init(_ error: LifecycleError) {
        switch error {
        case .activityNotFound:
            self.init(status: .notFound, code: "40401", summary: "Activity not found", message: error.description)
        case .taskNotFound:
            self.init(status: .notFound, code: "40411", summary: "Task not found", message: error.description)
        case .activityInvalid:
            self.init(status: .unprocessableContent, code: "42201", summary: "Activity is invalid", message: error.description)
        case .activityAlreadyExists:
            self.init(status: .unprocessableContent, code: "42202", summary: "Activity already exists", message: error.description)
        case .versionBusy:
            self.init(status: .conflict, code: "40901", summary: Self.concurrentActivities, message: error.description)
        case .activityNotPlanned(_, let status):
            // ODM: starting a PROCESSING activity is a conflict, starting a finished one invalid.
            if status == .processing {
                self.init(status: .conflict, code: "40901", summary: Self.concurrentActivities, message: error.description)
            } else {
                self.init(status: .unprocessableContent, code: "42201", summary: "Activity is invalid", message: error.description)
            }
        case .invalidActivityAction(let message):
            self.init(status: .unprocessableContent, code: "40055", summary: "Activity status action is invalid", message: message)
        case .invalidTaskAction(let message):
            self.init(status: .unprocessableContent, code: "40065", summary: "Task status action is invalid", message: message)
        case .taskAlreadyFinished:
            self.init(status: .conflict, code: "40911", summary: "Task already finished", message: error.description)
        case .blocked:
            self.init(status: .conflict, code: "40910", summary: "Blocked by policy", message: error.description)
        case .registry:
            self.init(
                status: .internalServerError, code: "50050", summary: "Registry service is disabled or not reachable",
                message: error.description)
        case .storage:
            self.init(status: .internalServerError, code: "50001", summary: "Error in the backend database", message: error.description)
        case .unavailable:
            self.init(status: .serviceUnavailable, code: "50301", summary: "Database unavailable", message: error.description)
        case .conflict, .leaseLost:
            self.init(status: .conflict, code: "40902", summary: "Concurrent change", message: error.description)
        }
    }

    static let concurrentActivities = "There is already a running activity on given product version"
}
