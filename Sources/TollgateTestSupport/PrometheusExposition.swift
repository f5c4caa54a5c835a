import Foundation
import TollgateJSON

/// Prometheus' text exposition read by Prometheus' own Python client (`prometheus_client`, from
/// Debian's python3-prometheus-client): a format error is its error, not ours to overlook.
public enum PrometheusExposition {
    /// One sample: its metric name, labels and value.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParseFailure: Error, CustomStringConvertible {
        public let description: String
    }

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        samples = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
        print(json.dumps(samples))
        """

    /// Every sample of `text`, or the parser's complaint.
    public static func parse(_ text: String) throws -> [Sample] {
        let process = Process()
        // Debian's interpreter, where its package put the parser (another python3 may come first on PATH).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ParseFailure(description: "prometheus_client refused the text: \(complaint)") }
        let json = try JSONValue.parse(Array(answer))
        return (json.arrayValue ?? []).map { sample in
            var labels: [String: String] = [:]
            for (key, value) in sample["labels"]?.objectValue ?? [:] { labels[key] = value.stringValue }
            return Sample(
                name: sample["name"]?.stringValue ?? "", labels: labels,
                value: sample["value"]?.doubleValue ?? sample["value"]?.intValue.map(Double.init) ?? .nan)
        }
    }
}
