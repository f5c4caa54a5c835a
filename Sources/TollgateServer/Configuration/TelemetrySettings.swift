/// Where traces go (`telemetry:`); off unless `telemetry.traces` is set.
///
/// ```yaml
/// telemetry:
///   serviceName: tollgate
///   traces: { endpoint: "http://collector:4318/v1/traces" }
/// ```
///
/// Spans go over OTLP/HTTP in binary protobuf, the encoding every collector takes. (swift-otel's
/// OTLP/JSON writes trace and span ids in base64, where the OTLP specification and collectors
/// expect hex, so it is not offered.)
public struct TelemetrySettings: Sendable, Equatable {
    /// The OTLP/HTTP traces endpoint.
    public struct Traces: Sendable, Equatable {
        /// The full address spans are posted to (`…/v1/traces`).
        public var endpoint: String

        public init(endpoint: String) {
            self.endpoint = endpoint
        }
    }

    /// The `service.name` of every span.
    public var serviceName = "tollgate"
    /// Nil: no traces are made.
    public var traces: Traces?

    public init() {}

    static func read(_ section: ConfigReader) throws(ConfigurationError) -> TelemetrySettings {
        try section.onlyKeys(["serviceName", "traces"])
        var settings = TelemetrySettings()
        settings.serviceName = try section.child("serviceName").string(default: settings.serviceName)
        let traces = section.child("traces")
        guard !traces.isMissing else { return settings }
        try traces.onlyKeys(["endpoint"])
        let endpoint = try traces.child("endpoint").string()
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw traces.child("endpoint").error("must be the collector's OTLP/HTTP traces address (http://collector:4318/v1/traces)")
        }
        settings.traces = Traces(endpoint: endpoint)
        return settings
    }
}
