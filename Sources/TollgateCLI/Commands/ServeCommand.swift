import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import TollgateServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ODM DevOps API (activities, tasks, callbacks, lifecycles) on the embedded defaults."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8002

    @Option(help: "Address executors call back to (default http://HOST:PORT).")
    var publicAddress: String?

    @Option(help: "SQLite database file.")
    var database = "tollgate.db"

    @Option(help: "Policy directory.")
    var policies = "policies"

    @Option(help: "Directory of descriptor files (JSON or YAML).")
    var descriptors = "descriptors"

    @Option(name: .customLong("odm-executor"), help: "An ODM executor adapter, NAME=URL (repeatable).")
    var odmExecutors: [String] = []

    @Option(help: "Environment variable holding the secret that signs callback tokens.")
    var callbackSecretEnv = "TOLLGATE_CALLBACK_SECRET"

    func run() async throws {
        guard host == "127.0.0.1" || host == "localhost" || host == "::1" else {
            printError("tollgate serve: refusing to listen on \(host): authentication is not configured, so only loopback is allowed")
            throw ExitCode(2)
        }
        var settings = TollgateService.Settings()
        settings.host = host
        settings.port = port
        settings.publicAddress = publicAddress
        settings.database = database
        settings.policies = policies
        settings.descriptors = descriptors
        for entry in odmExecutors {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("http") else {
                printError("tollgate serve: --odm-executor takes NAME=URL, e.g. azure-devops=http://127.0.0.1:9003 (got '\(entry)')")
                throw ExitCode(2)
            }
            settings.odmExecutors[parts[0]] = parts[1]
        }
        if let secret = ProcessInfo.processInfo.environment[callbackSecretEnv], !secret.isEmpty {
            settings.callbackSecret = Array(secret.utf8)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let service = try TollgateService(settings: settings, httpClient: client)
            try await service.application().runService()
        } catch {
            printError("tollgate serve: \(error)")
            try? await client.shutdown()
            throw ExitCode(2)
        }
        try await client.shutdown()
    }
}
