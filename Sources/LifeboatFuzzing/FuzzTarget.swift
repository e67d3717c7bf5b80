import LifeboatErrors

/// One parser of untrusted input under fuzzing: its corpus, how inputs are mutated, and how one input is fed
/// through the same code path production uses.
///
/// `run` returns normally when the parser accepted the input and throws the parser's error when it rejected
/// it; anything else (a trap, a hang, unbounded memory) is a finding.
package struct FuzzTarget: Sendable {
    /// The name used by `--target` and in reports (`tarball`, `restic-index`, …).
    package var name: String
    /// What the target parses, one line.
    package var summary: String
    /// Inputs for `make fuzz` (sized for a debug build).
    package var defaultRuns: Int
    /// Builds the corpus: valid inputs made with the project's own writers, plus a few edge cases.
    package var corpus: @Sendable () async throws -> [[UInt8]]
    /// The mutation strategies and dictionary.
    package var mutator: Mutator
    /// Adjusts a mutated input before it is run (for example re-computing tar header checksums so that
    /// mutations reach past the checksum); `nil` keeps inputs as mutated.
    package var fixup: (@Sendable ([UInt8], inout FuzzRandom) -> [UInt8])?
    /// Feeds one input to the parser. Throws the parser's rejection.
    package var run: @Sendable ([UInt8]) async throws -> Void

    package init(
        name: String,
        summary: String,
        defaultRuns: Int,
        mutator: Mutator,
        corpus: @escaping @Sendable () async throws -> [[UInt8]],
        fixup: (@Sendable ([UInt8], inout FuzzRandom) -> [UInt8])? = nil,
        run: @escaping @Sendable ([UInt8]) async throws -> Void
    ) {
        self.name = name
        self.summary = summary
        self.defaultRuns = defaultRuns
        self.mutator = mutator
        self.corpus = corpus
        self.fixup = fixup
        self.run = run
    }

    /// Input number `iteration` of a run seeded with `seed`: a pure function of its arguments.
    package func input(number iteration: Int, seed: UInt64, corpus: [[UInt8]]) -> [UInt8] {
        var random = FuzzRandom(seed: seed, target: name, iteration: iteration)
        let mutated = mutator.mutate(corpus, random: &random)
        return fixup?(mutated, &random) ?? mutated
    }
}

/// How a rejection reads to a user.
package enum RejectionClarity: Sendable, Equatable {
    /// A Lifeboat error with a message (it names what is wrong).
    case clear
    /// Anything else: a raw `DecodingError`, a bare `CancellationError`, an empty message.
    case unclear(String)

    /// Classifies `error`.
    package init(_ error: any Error) {
        if let lifeboat = error as? any LifeboatError, !lifeboat.message.isEmpty {
            self = .clear
        } else {
            self = .unclear(String(describing: error).prefix(300).description)
        }
    }
}

/// Thrown by a target when the parser accepted an input but a property that must hold for accepted inputs
/// does not (for example: what was decoded encodes to something that decodes again). Counted apart from
/// rejections.
package struct FuzzOracleFailure: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}

/// Every fuzz target, in the order `make fuzz` runs them.
package enum FuzzTargets {
    package static let all: [FuzzTarget] = [
        ArchiveTargets.tarball, ArchiveTargets.tar, VeleroTargets.backupJSON, ConfigMapTargets.nodeAgentConfig,
        ConfigMapTargets.resourceModifiers, ConfigMapTargets.resourcePolicies, KubernetesTargets.kubeconfig,
        KubernetesTargets.labelSelector, KubernetesTargets.fieldSelector, RepositoryTargets.index,
        RepositoryTargets.tree, RepositoryTargets.packHeader, RepositoryTargets.keyFile, RepositoryTargets.config,
        RepositoryTargets.snapshot,
    ]

    /// The target called `name`.
    package static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
