import NIOCore

/// Runs a task's jobs on one NIO event loop (a task executor, SE-0417). A connection's tasks prefer the event loop
/// its channel lives on, so that a request is read, handled and answered on one thread: the reply to a workflow
/// action costs two thread hand-offs (event loop → store writer → event loop) instead of the seven it took when
/// reading, handling and writing ran on the cooperative pool, each a futex wake-up that this kind of machine
/// charges heavily. Only nonisolated async code follows the preference; work that blocks (password hashing)
/// already runs on its own threads.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
