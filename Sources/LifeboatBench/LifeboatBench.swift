import ArgumentParser

/// `lifeboat-bench`: release-build benchmarks. Each subcommand prints its figures as ratios against
/// an anchor measured in the same run (the LIST floor, restic on the same data).
@main
struct LifeboatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifeboat-bench",
        abstract: "Lifeboat benchmarks (build with -c release).",
        subcommands: [
            PodsBench.self,
            ClientBench.self, SandboxBench.self, BackupBench.self, RestoreBench.self, RepoBench.self,
            NodeAgentBench.self, FaultsBench.self, HooksBench.self, FsBackupBench.self, ServerBench.self,
            ScaleBench.self, SandboxScaleBench.self,
        ]
    )
}
