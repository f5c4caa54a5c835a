import Instrumentation
import Logging
import OTel
public import ServiceLifecycle

extension TelemetrySettings {
    /// Makes the process's tracer export spans over OTLP/HTTP as these settings say, and returns
    /// the service that sends them (run it with the application: a graceful stop sends what is
    /// left). Nil when traces are off. Call once per process, before serving.
    ///
    /// The standard `OTEL_*` variables (`OTEL_BSP_SCHEDULE_DELAY`, `OTEL_TRACES_SAMPLER`, …) refine
    /// what the file says.
    public func startTracing() throws -> (any Service)? {
        guard let traces else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.otlpExporter.endpoint = traces.endpoint
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.diagnosticLogger = .custom(Logger(label: "tollgate.telemetry"))
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }
}
