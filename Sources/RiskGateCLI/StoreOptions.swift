import ArgumentParser
import Store

/// Where the database lives; shared by every command that opens it.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file (created and migrated on first use).", valueName: "path"))
    var db: String = "data/riskgate.sqlite"

    func open() throws -> Store {
        do {
            return try Store(path: db)
        } catch {
            Console.err("riskgate: cannot open the database '\(db)': \(error)")
            throw ExitCode(2)
        }
    }
}

