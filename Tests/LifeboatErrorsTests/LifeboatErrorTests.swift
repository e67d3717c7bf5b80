import LifeboatErrors
import Testing

/// A minimal conforming error, shaped like the modules' errors.
private struct SampleError: LifeboatError {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case outer, inner }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        static let outer = Code(.outer)
        static let inner = Code(.inner)
        var description: String { "\(value)" }
    }

    var code: Code
    var message: String
    var cause: (any Error)?
    var location: ErrorLocation
    var description: String { descriptionWithCauses }

    init(_ code: Code, _ message: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = ErrorLocation(function: "sample()", file: file, line: line)
    }
}

private struct PlainError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "connection refused" }
    var debugDescription: String { "PlainError(errno: 111)" }
}

struct LifeboatErrorTests {
    @Test func oneLineDescriptionCarriesTheWholeCauseChain() {
        let inner = SampleError(.inner, "GET /bucket", cause: PlainError())
        let outer = SampleError(.outer, "location default: cannot list backups", cause: inner)
        #expect(outer.description == "location default: cannot list backups: GET /bucket: connection refused")
        #expect(SampleError(.inner, "alone").description == "alone")
        #expect("\(outer)" == outer.description)
    }

    @Test func detailedDescriptionIsATreeWithEveryLocation() {
        let inner = SampleError(.inner, "GET /bucket", cause: PlainError(), file: "M/Inner.swift", line: 7)
        let outer = SampleError(.outer, "cannot list", cause: inner, file: "M/Outer.swift", line: 42)
        let expected = """
            SampleError: outer
            ├─ Reason: cannot list
            ├─ Cause:
            │  └─ SampleError: inner
            │     ├─ Reason: GET /bucket
            │     ├─ Cause: PlainError(errno: 111)
            │     └─ Source location: sample() (M/Inner.swift:7)
            └─ Source location: sample() (M/Outer.swift:42)
            """
        #expect(outer.detailedDescription == expected)
        #expect(String(reflecting: outer) == expected)
    }

    @Test func locationRecordsTheCaller() {
        let location = ErrorLocation()
        #expect(location.file == "LifeboatErrorsTests/LifeboatErrorTests.swift")
        #expect(location.function == "locationRecordsTheCaller()")
        #expect(location.line > 0)
    }
}
