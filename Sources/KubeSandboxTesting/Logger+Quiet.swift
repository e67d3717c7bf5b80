public import Logging

extension Logger {
    /// A logger that discards everything, for the components a test starts (their logs would drown the
    /// test output).
    public static var quiet: Logger {
        Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
