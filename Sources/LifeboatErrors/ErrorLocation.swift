/// Where an error was raised: the function, file and line of the code that created it.
///
/// Every Lifeboat error records one (see ``LifeboatError``); it is printed by ``LifeboatError/detailedDescription``,
/// never in the one-line message a user sees.
public struct ErrorLocation: Sendable, Hashable, CustomStringConvertible {
    /// The function that raised the error (`#function`).
    public var function: String
    /// The file, as `#fileID` spells it (`Module/File.swift`).
    public var file: String
    /// The line in ``file``.
    public var line: Int

    /// Records the caller's location.
    public init(function: String = #function, file: String = #fileID, line: Int = #line) {
        self.function = function
        self.file = file
        self.line = line
    }

    /// `function (file:line)`, as in a stack trace.
    public var description: String { "\(function) (\(file):\(line))" }
}
