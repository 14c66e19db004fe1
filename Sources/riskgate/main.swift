import CJemalloc
import RiskGateCLI

// The executable links jemalloc (libjemalloc-dev), which takes the place of glibc's malloc for the whole process.
// A SUBMIT allocates dozens of short-lived objects on the event loops (strings, arrays, task frames) that the
// writer's thread and other tasks free; glibc's arenas made that a fifth of the event loops' time (consolidating
// and unlinking chunks). With jemalloc, server-bench's SUBMIT used 7–20% less CPU per request (benchmarks/README.md,
// "Session 8"). The library modules and their tests keep the system allocator.
await RiskGate.start(allocator: Allocator.describe())

enum Allocator {
    /// "jemalloc 5.3.0-0-g…" (asked of the allocator itself, so the line is true of the running process).
    static func describe() -> String {
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "jemalloc (version unknown)" }
        return "jemalloc " + String(cString: version)
    }
}
