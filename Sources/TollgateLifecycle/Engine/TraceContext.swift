public import Instrumentation
import Tracing
import ServiceContextModule

/// A trace context in its W3C form (`traceparent`, `tracestate`): what an outbox intent keeps of
/// the change that queued it, and what executors are handed, so a run joins the activity's trace.
public enum TraceContext {
    /// The current task's trace context as W3C headers (empty when nothing is traced).
    public static func current() -> [String: String] { headers(of: ServiceContext.current ?? .topLevel) }

    /// `context` as W3C headers.
    public static func headers(of context: ServiceContext) -> [String: String] {
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderInjector())
        return headers
    }

    /// A service context that continues `headers` (a top-level one when they carry no trace).
    public static func continuing(_ headers: [String: String]) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(headers, into: &context, using: HeaderExtractor())
        return context
    }

    /// Runs `body` with `context` as the task's current service context, keeping its typed error.
    static func run<T, E: Error>(
        in context: ServiceContext, isolation: isolated (any Actor)? = #isolation, _ body: () async throws(E) -> T
    ) async throws(E) -> T {
        let result: Result<T, E> = await ServiceContext.withValue(context, isolation: isolation) {
            do throws(E) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    struct HeaderInjector: Injector {
        func inject(_ value: String, forKey key: String, into headers: inout [String: String]) { headers[key] = value }
    }

    struct HeaderExtractor: Extractor {
        func extract(key: String, from headers: [String: String]) -> String? { headers[key] }
    }
}

extension LifecycleEngine {
    /// Sends `request` in a span of its own (`dispatch <executor>`) that continues the trace of the
    /// change that queued it; the executor is handed the span's context.
    func dispatchSpan(
        _ request: DispatchRequest, _ send: (DispatchRequest) async throws(ExecutorError) -> DispatchOutcome
    ) async throws(ExecutorError) -> DispatchOutcome {
        let span = startSpan("dispatch \(request.executor)", context: TraceContext.continuing(request.traceContext), ofKind: .producer)
        defer { span.end() }
        span.attributes["tollgate.activity"] = request.activityId
        span.attributes["tollgate.task"] = request.taskId
        span.attributes["tollgate.executor"] = request.executor
        span.attributes["tollgate.attempt"] = request.attempt
        var sent = request
        sent.traceContext = TraceContext.headers(of: span.context)
        do throws(ExecutorError) {
            return try await TraceContext.run(in: span.context) { () throws(ExecutorError) in try await send(sent) }
        } catch {
            span.setStatus(SpanStatus(code: .error, message: error.message))
            throw error
        }
    }
}

extension LifecycleEngine {
    /// Runs `body` in the trace of the task's dispatch: asking an executor about a run, or for its
    /// logs, belongs to the activity's trace.
    func inTrace<T>(of request: DispatchRequest, _ body: () async throws(ExecutorError) -> T) async throws(ExecutorError) -> T {
        try await TraceContext.run(in: TraceContext.continuing(request.traceContext), body)
    }
}
