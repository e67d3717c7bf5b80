import ArgumentParser
import ObjectStorage
import VolumeRepository

/// `lifeboat repo init`.
struct RepoInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new repository (restic format v2)."
    )

    @OptionGroup var options: RepoOptions

    func run() async throws {
        let (store, prefix) = try options.location(create: true)
        if let s3 = store as? S3ObjectStore {
            // restic creates the bucket on init when it is missing.
            try? await s3.createBucket()
        }
        do {
            let repo = try await Repository.initialize(
                store: store,
                prefix: prefix,
                password: try options.password(),
                logger: options.logger
            )
            print("created restic repository \(repo.config.id.prefix(10)) at \(options.repo ?? "")")
            print("")
            print("Please note that knowledge of your password is required to access")
            print("the repository. Losing your password means that your data is")
            print("irrecoverably lost.")
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
    }
}

/// `lifeboat repo unlock`.
struct RepoUnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Remove stale locks.")

    @OptionGroup var options: RepoOptions
    @Flag(name: .customLong("remove-all"), help: "Remove all locks, even active ones.")
    var removeAll = false

    func run() async throws {
        let repo = try await options.openRepository()
        let n = try await repo.unlock(all: removeAll)
        print(n == 0 ? "no stale locks found" : "successfully removed \(n) lock(s)")
    }
}
