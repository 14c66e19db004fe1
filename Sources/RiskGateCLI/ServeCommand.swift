import ArgumentParser
import Foundation
import LineProtocol
import Logging
import NIOCore
import Server
import ServiceLifecycle
import Store
import UnixSignals

/// `riskgate serve`: the approvers' line-protocol server over the store and the rules.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the line protocol (docs/PROTOCOL.md) to approvers and intake systems.",
        discussion: """
        Compiles the rules and runs their tests (and --regression files) before serving; opens (creating on first \
        start) the SQLite database. On first start, when no enabled risk admin exists, creates 'admin' and prints \
        its one-time password and TOTP secret. SIGTERM or SIGINT shuts down gracefully.
        """
    )

    @OptionGroup var options: RulesOptions
    @OptionGroup var store: StoreOptions
    @Option(help: "TCP address to listen on ('none' for no TCP).") var host: String = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one).") var port: Int = 7878
    @Option(name: .customLong("unix"), help: ArgumentHelp("Also listen on this Unix socket.", valueName: "path")) var unixSocket: String?
    @Option(help: ArgumentHelp("Regression fixtures (JSONL) a ruleset must pass before it is activated, at start and on RELOAD.", valueName: "file"))
    var regression: [String] = []
    @Option(help: ArgumentHelp("Lease length of a claim, in seconds.", valueName: "seconds")) var lease: Double = 300
    @Option(name: .customLong("on-disconnect"), help: "What a dropped connection's claims do: keep (until the lease expires) or release (at once).")
    var onDisconnect: String = "keep"
    @Option(name: .customLong("max-clients"), help: "Simultaneous connections.") var maxClients: Int = 1024
    @Option(name: .customLong("idle-before-auth"), help: ArgumentHelp("Seconds an unauthenticated connection may idle.", valueName: "seconds"))
    var idleBeforeAuth: Double = 10
    @Option(name: .customLong("session-idle"), help: ArgumentHelp("Seconds a session may idle.", valueName: "seconds")) var sessionIdle: Double = 1800
    @Option(name: .customLong("session-lifetime"), help: ArgumentHelp("A session's absolute lifetime, in seconds.", valueName: "seconds"))
    var sessionLifetime: Double = 43200
    @Option(name: .customLong("shutdown-grace"), help: ArgumentHelp("Seconds in-flight requests get at shutdown.", valueName: "seconds"))
    var shutdownGrace: Double = 8
    @Option(name: .customLong("audit-checkpoints"), help: ArgumentHelp(
        "Append a signed checkpoint of the audit trail's head to this file every --checkpoint-interval seconds (when it moved) and at shutdown; keep it where the database's owner cannot rewrite it.",
        valueName: "file"))
    var auditCheckpoints: String?
    @Option(name: .customLong("checkpoint-interval"), help: ArgumentHelp("Seconds between audit checkpoints.", valueName: "seconds"))
    var checkpointInterval: Double = 300
    @Flag(name: .customLong("insecure-fast-kdf"), help: .hidden) var insecureFastKDF = false

    func validate() throws {
        guard ServerConfiguration.DisconnectPolicy(rawValue: onDisconnect) != nil else {
            throw ValidationError("--on-disconnect is 'keep' or 'release'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
        guard maxClients >= 1, lease > 0, idleBeforeAuth > 0, sessionIdle > 0, sessionLifetime > 0, checkpointInterval > 0 else {
            throw ValidationError("--max-clients, --lease, --checkpoint-interval and the timeouts must be positive")
        }
    }

    func run() async throws {
        let logger = Logger(label: "riskgate.server")
        // Applied whatever the log level (a log message's metadata is only evaluated when it is logged).
        let allocatorSettings = RiskGate.allocator?.tuneForServer() ?? "-"
        logger.info("starting", metadata: ["process.allocator": "\(RiskGate.allocator?.name ?? "system malloc")",
                                           "process.allocator.settings": "\(allocatorSettings)"])
        if let auditCheckpoints {
            // Refuse to start (before the database is opened and a first administrator made) rather than log a
            // failed export every interval: the file must be writable now.
            let files = FileManager.default
            guard files.fileExists(atPath: auditCheckpoints) ? files.isWritableFile(atPath: auditCheckpoints)
                    : files.createFile(atPath: auditCheckpoints, contents: nil) else {
                Console.err("riskgate: cannot write the audit checkpoint file '\(auditCheckpoints)'")
                throw ExitCode(2)
            }
        }
        var configuration = ServerConfiguration(rulesDirectory: options.rules)
        configuration.host = host == "none" ? nil : host
        configuration.port = port
        configuration.unixSocket = unixSocket
        configuration.regressionFixtures = regression
        configuration.leaseSeconds = lease
        configuration.disconnectPolicy = ServerConfiguration.DisconnectPolicy(rawValue: onDisconnect) ?? .keepLease
        configuration.limits.maximumClients = maxClients
        configuration.limits.idleBeforeAuth = idleBeforeAuth
        configuration.limits.sessionIdle = sessionIdle
        configuration.limits.sessionLifetime = sessionLifetime
        configuration.shutdownGrace = shutdownGrace
        if insecureFastKDF { configuration.passwordParameters = .testOnly }

        let prepared: ServerRules
        switch ServerRules.load(directory: options.rules, regression: regression) {
        case .success(let rules): prepared = rules
        case .failure(let failure):
            Console.err("riskgate: the rules in '\(options.rules)' cannot be served: \(failure)")
            throw ExitCode(2)
        }
        let opened = try store.open()
        Console.out("riskgate: database '\(store.db)' (synchronous=\(try opened.synchronousLevel()), WAL)")
        let core = try await ServerCore(store: opened, policy: prepared.policy, rulesetVersion: prepared.version,
                                  configuration: configuration, logger: logger)
        let server = RiskGateServer(core: core)
        let admin = try await core.bootstrapAdministrator()
        // The checkpointer goes first: a group stops its services in reverse order, so the server has finished its
        // last request when the final checkpoint is signed.
        var services: [any Service] = []
        if let auditCheckpoints {
            services.append(AuditCheckpointer(store: opened, key: try Store.auditKey(forDatabase: store.db), file: auditCheckpoints,
                                              interval: .milliseconds(Int64(checkpointInterval * 1000)), logger: logger))
            Console.out("riskgate: audit checkpoints every \(checkpointInterval) s to '\(auditCheckpoints)'")
        }
        services.append(server)
        let group = ServiceGroup(configuration: {
            var group = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGrace + 2)
            return group
        }())
        let banner = Task {
            for await addresses in server.listening {
                printBanner(addresses, rules: prepared, admin: admin)
                break
            }
        }
        do {
            try await group.run()
        } catch {
            banner.cancel()
            Console.err("riskgate: the server stopped: \(error)")
            try? opened.close()
            throw ExitCode(1)
        }
        banner.cancel()
        try opened.close()
        Console.out("riskgate: stopped; the database was closed cleanly")
    }

    private func printBanner(_ addresses: [SocketAddress], rules: ServerRules, admin: (password: String, totp: TOTP)?) {
        Console.out("riskgate: rules '\(options.rules)' version \(rules.version.prefix(23))… (\(rules.tests) tests passed)")
        for address in addresses { Console.out("riskgate: listening on \(address)") }
        if let tcp = addresses.first(where: { $0.port != nil }) {
            Console.out("Connect with:  riskgate client --port \(tcp.port ?? port)    (or: nc \(tcp.ipAddress ?? host) \(tcp.port ?? port))")
        } else if let unixSocket {
            Console.out("Connect with:  riskgate client --unix \(unixSocket)    (or: nc -U \(unixSocket))")
        }
        if let admin {
            let secret = Base32.encode(admin.totp.secret)
            Console.out("""
            First start: created the administrator 'admin' (risk_admin, approver, tier 3). Shown once; keep it safe:
              password:     \(admin.password)
              TOTP secret:  \(secret)
              otpauth URI:  \(admin.totp.uri(account: "admin"))
            Log in:  AUTH admin \(admin.password) <code>    (a current code: riskgate totp \(secret))
            """)
        }
        if admin == nil {
            Console.out("Log in as an existing user (AUTH <user> <password> [<code>]); a lost admin login is renewed with the server stopped: riskgate users reset admin --db \(store.db)")
        }
        Console.out("Stop with Ctrl-C (graceful).")
    }
}
