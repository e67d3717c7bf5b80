import Foundation
import Testing

@testable import KubeSandbox

@Suite struct CRILogLineTests {
    @Test func roundTripsAFullAndAPartialLine() throws {
        let nanoseconds: Int64 = 1_796_626_800_123_456_789
        let line = CRILogLine(nanoseconds: nanoseconds, stream: .stderr, partial: true, content: "a b  c")
        #expect(line.encoded == "\(line.timestamp) stderr P a b  c\n")
        #expect(CRILogLine(parsing: Substring(line.encoded)) == line)
        let empty = CRILogLine(nanoseconds: nanoseconds, stream: .stdout, content: "")
        #expect(CRILogLine(parsing: Substring(empty.encoded)) == empty)
    }

    @Test func formatsAsKubernetesPrintsTimestamps() {
        #expect(CRILogLine.format(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(CRILogLine.format(1_796_626_800_000_000_042) == "2026-12-07T07:00:00.000000042Z")
        #expect(CRILogLine.format(-1) == "1969-12-31T23:59:59.999999999Z")
    }

    @Test func parsesRFC3339WithAnyFractionAndRejectsOtherText() {
        #expect(CRILogLine.parse("2026-12-07T07:00:00Z") == 1_796_626_800_000_000_000)
        #expect(CRILogLine.parse("2026-12-07T07:00:00.5Z") == 1_796_626_800_500_000_000)
        #expect(CRILogLine.parse("2026-12-07T07:00:00.123456789Z") == 1_796_626_800_123_456_789)
        for bad in [
            "", "2026-12-07", "2026-13-07T07:00:00Z", "2026-12-07T07:00:00.Z", "2026-12-07T07:00:00+01:00",
            "2026-12-07T07:00:00.1234567890Z", "2026-12-07 07:00:00Z",
        ] {
            #expect(CRILogLine.parse(Substring(bad)) == nil, "\(bad)")
        }
        #expect(CRILogLine(parsing: "2026-12-07T07:00:00Z stdin F x") == nil)
        #expect(CRILogLine(parsing: "2026-12-07T07:00:00Z stdout X x") == nil)
        #expect(CRILogLine(parsing: "not a line") == nil)
    }

    @Test func lineFilesFollowTheKubeletLayout() {
        let url = PodLogLayout.file(
            root: URL(fileURLWithPath: "/r"),
            node: "n1",
            namespace: "ns",
            pod: "p",
            uid: "u",
            container: "c",
            restartCount: 2
        )
        #expect(url.path == "/r/nodes/n1/logs/ns_p_u/c/2.log")
    }
}
