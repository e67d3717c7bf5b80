import ArgumentParser
import Foundation
import Kubernetes

/// The flags of Velero's `get` commands (`-l/--selector`, and `output.BindFlags`' `-L/--label-columns` and
/// `--show-labels`): which objects are listed, and which of their labels are shown as columns.
struct ListingFlags: ParsableArguments {
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Only those whose labels match this selector.")
    var selectorText: String?
    @Option(
        name: [.customShort("L"), .customLong("label-columns")],
        help: "Labels shown as columns (comma-separated, or the flag repeated)."
    )
    var labelColumns: [String] = []
    @Flag(name: .long, help: "Show the labels in a last column.") var showLabels = false

    func validate() throws { _ = try selector }

    /// The parsed `--selector`, nil without one.
    var selector: LabelSelector? {
        get throws { try selectorText.map { try SelectOptions.parse(selector: $0) } }
    }

    /// Whether an object with `labels` is listed.
    func matches(_ labels: [String: String]?) throws -> Bool {
        try selector?.matches(labels ?? [:]) ?? true
    }

    /// The label keys of `-L`, in order.
    var columnKeys: [String] {
        labelColumns.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// `header` with a column per `-L` key (the key's last path segment, upper-cased, as kubectl's printer heads
    /// them) and `LABELS` with `--show-labels`.
    func header(_ header: [String]) -> [String] {
        header + columnKeys.map { ($0.split(separator: "/").last.map(String.init) ?? $0).uppercased() }
            + (showLabels ? ["LABELS"] : [])
    }

    /// `row` with the cells of `header(_:)`'s added columns for an object with `labels`.
    func row(_ row: [String], labels: [String: String]?) -> [String] {
        row + columnKeys.map { labels?[$0] ?? "" } + (showLabels ? [Render.labels(labels)] : [])
    }
}
