import Foundation

/// The repository root, found from this file's path.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

/// The `riskgate` built beside the test bundle.
let riskgateBinary: URL = {
    let besideTests = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("riskgate")
    if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
    return repositoryRoot.appendingPathComponent(".build/debug/riskgate")
}()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs riskgate in the repository root with the given arguments and standard input.
/// Standard input and error go through temporary files, so no pipe can fill up and block.
func riskgate(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> RunResult {
    let scratch = try temporaryRules(["stdin": stdin, "stderr": ""])
    let process = Process()
    process.executableURL = riskgateBinary
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let output = Pipe()
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: scratch + "/stdin"))
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/stderr"))
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorText = try String(contentsOfFile: scratch + "/stderr", encoding: .utf8)
    try? FileManager.default.removeItem(atPath: scratch)
    return RunResult(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self), stderr: errorText)
}

/// A fresh folder holding the given files; returned as a path.
func temporaryRules(_ files: [String: String]) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, text) in files {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return folder.path
}
