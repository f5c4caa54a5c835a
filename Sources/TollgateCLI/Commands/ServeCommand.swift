import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import TollgateServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ODM DevOps API and Tollgate's own endpoints.",
        discussion: """
            Reads tollgate.yaml (or --config FILE); without one, runs on the embedded defaults: \
            ./tollgate.db, ./policies, descriptors from ./descriptors, the local-process executor, \
            listening on 127.0.0.1:8002. Secrets in the file are { env: NAME } references.
            """
    )

    @Option(help: "Configuration file (YAML).")
    var config: String?

    @Option(help: "Environment variable holding the secret that signs callback tokens.")
    var callbackSecretEnv = "TOLLGATE_CALLBACK_SECRET"

    func run() async throws {
        var configuration = ServiceConfiguration()
        let path = config ?? (FileManager.default.fileExists(atPath: "tollgate.yaml") ? "tollgate.yaml" : nil)
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("tollgate serve: cannot read the configuration file \(path)")
                throw ExitCode(2)
            }
            do {
                configuration = try ServiceConfiguration(text: String(decoding: data, as: UTF8.self))
            } catch {
                printError("tollgate serve: \(path): \(error)")
                throw ExitCode(2)
            }
        }
        guard configuration.listensSafely else {
            printError(
                "tollgate serve: refusing to listen on \(configuration.host) with no authentication configured; "
                    + "add auth.tokens or auth.oidc, or listen on 127.0.0.1")
            throw ExitCode(2)
        }
        var log = configuration.log
        // The environment overrides the file for one run (a level raised while looking into something).
        if let level = ProcessInfo.processInfo.environment["TOLLGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
            log.level = level
        }
        LoggingSystem.bootstrap { [log] label in log.handler(label: label) }
        let secret = ProcessInfo.processInfo.environment[callbackSecretEnv].flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let client = TollgateService.makeHTTPClient()
        do {
            try await TollgateService.prepareDatabase(configuration, logger: Logger(label: "tollgate"))
            let tracing = try configuration.telemetry.startTracing()
            let service = try TollgateService(configuration: configuration, httpClient: client, callbackSecret: secret)
            try await service.application(extraServices: tracing.map { [$0] } ?? []).runService()
        } catch {
            printError("tollgate serve: \(error)")
            try? await client.shutdown()
            throw ExitCode(2)
        }
        try await client.shutdown()
    }
}
