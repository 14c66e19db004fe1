import CJemalloc
import Glibc
import RiskGateCLI

// The executable links jemalloc (libjemalloc-dev), which takes the place of glibc's malloc for the whole process.
// A SUBMIT allocates dozens of short-lived objects on the event loops (strings, arrays, task frames) that the
// writer's thread and other tasks free; glibc's arenas made that a fifth of the event loops' time (consolidating
// and unlinking chunks). With jemalloc, server-bench's SUBMIT used 7–13% less CPU per request, and the memory of
// 1,000 closed connections goes back to the system within a second or two instead of staying with the process
// (benchmarks/README.md, "Session 8"). The library modules and their tests keep the system allocator.
await RiskGate.start(allocator: RiskGate.Allocator(name: Jemalloc.version(), tuneForServer: Jemalloc.tuneForServer))

enum Jemalloc {
    /// "jemalloc 5.3.0-0-g…", asked of the allocator itself, so the line is true of the running process.
    static func version() -> String {
        var version: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "jemalloc (version unknown)" }
        return "jemalloc " + String(cString: version)
    }

    /// For `serve`: freed pages go back to the system after about a second (`dirty_decay_ms`, 10 s by default), by
    /// a background thread rather than on the request path. Without it a storm of 1,000 connections left ~20 MiB
    /// with the process (scenario P1). `MALLOC_CONF`, when set, is the operator's choice and is left alone.
    @Sendable static func tuneForServer() -> String {
        if let conf = getenv("MALLOC_CONF"), conf.pointee != 0 { return "MALLOC_CONF=" + String(cString: conf) }
        var decay = 1000 // ssize_t milliseconds
        var enable = true
        var arenas: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        // Arenas made from now on, then the ones that exist (an index not in use yet answers EFAULT: it will get the
        // default when it is made).
        var failures = [("arenas.dirty_decay_ms", mallctl("arenas.dirty_decay_ms", nil, nil, &decay, MemoryLayout<Int>.size)),
                        ("arenas.narenas", mallctl("arenas.narenas", &arenas, &size, nil, 0))].filter { $0.1 != 0 }
        for index in 0..<arenas {
            let name = "arena.\(index).dirty_decay_ms"
            let result = mallctl(name, nil, nil, &decay, MemoryLayout<Int>.size)
            if result != 0, result != EFAULT { failures.append((name, result)) }
        }
        let thread = mallctl("background_thread", nil, nil, &enable, MemoryLayout<Bool>.size)
        if thread != 0 { failures.append(("background_thread", thread)) }
        guard failures.isEmpty else { return "not fully applied (mallctl errors: \(failures))" }
        return "background_thread:true,dirty_decay_ms:1000"
    }
}
