import LifeboatFuzzing
import Testing

/// Keeps the fuzz targets from rotting: every corpus entry is accepted by its parser, and a few hundred
/// mutated inputs per target run in this process without a crash, a hang or an unclear rejection.
struct FuzzTargetTests {
    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusIsAccepted(target name: String) async throws {
        let target = try #require(FuzzTargets.named(name))
        let corpus = try await target.corpus()
        #expect(!corpus.isEmpty)
        for (index, input) in corpus.enumerated() {
            do {
                try await target.run(input)
            } catch {
                Issue.record("\(name): corpus entry \(index) is rejected: \(error)")
            }
        }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func mutatedInputsRunWithoutFindings(target name: String) async throws {
        let target = try #require(FuzzTargets.named(name))
        let stats = try await FuzzRunner(slowThreshold: .seconds(30)).run(target, iterations: 0..<300, seed: 23)
        #expect(stats.execs == 300)
        #expect(stats.unclear == 0, "\(name): \(stats.unclearSample ?? "")")
        #expect(stats.oracleFailures == 0, "\(name): \(stats.oracleSample ?? "")")
    }

    @Test func inputsAreAPureFunctionOfSeedTargetAndNumber() async throws {
        let target = try #require(FuzzTargets.named("label-selector"))
        let corpus = try await target.corpus()
        let first = (0..<50).map { target.input(number: $0, seed: 9, corpus: corpus) }
        let again = (0..<50).map { target.input(number: $0, seed: 9, corpus: corpus) }
        let other = (0..<50).map { target.input(number: $0, seed: 10, corpus: corpus) }
        #expect(first == again)
        #expect(first != other)
    }
}
