import Testing

@testable import LifeboatCLI

/// The command line as Velero's users write it, rewritten for ArgumentParser (issue 22).
struct VeleroArgumentsTests {
    let arguments = VeleroArguments(tree: .init(Lifeboat.self))

    @Test(arguments: [
        (["--kubeconfig", "k", "backup", "get"], ["backup", "get", "--kubeconfig", "k"]),
        (["-n", "ns", "backup", "get", "b1"], ["backup", "get", "-n", "ns", "b1"]),
        (["backup", "--namespace=ns", "get"], ["backup", "get", "--namespace=ns"]),
        (["-nns", "backup", "get"], ["backup", "get", "-n", "ns"]),
        (["-n=ns", "backup", "get"], ["backup", "get", "-n", "ns"]),
        (["-n", "a", "backup", "get", "-n", "b"], ["backup", "get", "-n", "a", "-n", "b"]),
        (["--verbose", "--features=EnableCSI", "version"], ["version", "--verbose", "--features=EnableCSI"]),
    ])
    func globalFlagsMoveAfterTheSubcommands(_ given: [String], _ expected: [String]) {
        #expect(arguments.normalize(given) == expected)
    }

    @Test(arguments: [
        (["get", "backups"], ["backup", "get"]),
        (["describe", "backup", "b1", "--details"], ["backup", "describe", "b1", "--details"]),
        (["delete", "restore", "r1", "--confirm"], ["restore", "delete", "r1", "--confirm"]),
        (["create", "schedule", "s", "--schedule", "@daily"], ["schedule", "create", "s", "--schedule", "@daily"]),
        (["get", "backup-locations"], ["backup-location", "get"]),
        (["-n", "x", "get", "schedules"], ["schedule", "get", "-n", "x"]),
    ])
    func kubectlStyleVerbsBecomeTheKindsCommands(_ given: [String], _ expected: [String]) {
        #expect(arguments.normalize(given) == expected)
    }

    @Test func optionalBooleansGoBareAndGoEmptyValuesSplit() {
        #expect(
            arguments.normalize(["backup", "create", "b", "--snapshot-volumes", "--include-cluster-resources=false"])
                == ["backup", "create", "b", "--snapshot-volumes=true", "--include-cluster-resources=false"]
        )
        #expect(
            arguments.normalize(["pod-volume", "backup", "--cache-volume-path="])
                == ["pod-volume", "backup", "--cache-volume-path", ""]
        )
    }

    @Test func nothingAfterTheTerminatorIsTouched() {
        #expect(
            arguments.normalize(["repo", "backup", "--", "-n", "--snapshot-volumes", "get"])
                == ["repo", "backup", "--", "-n", "--snapshot-volumes", "get"]
        )
        // A word that is not a subcommand ends the path: a backup named like a command stays an argument.
        #expect(arguments.normalize(["backup", "create", "get", "-n", "x"]) == ["backup", "create", "get", "-n", "x"])
    }

    @Test func thePathToACommandNamesEveryLevel() {
        #expect(
            VeleroArguments.path(to: RestoreDeleteCommand.self, from: Lifeboat.self) == [
                "lifeboat", "restore", "delete",
            ]
        )
        #expect(VeleroArguments.path(to: Lifeboat.self, from: Lifeboat.self) == ["lifeboat"])
    }
}
