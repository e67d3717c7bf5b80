import struct Foundation.Date

/// Parses HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`) as sent in `Last-Modified`.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3 else { return nil }
        func pad(_ v: Int, _ w: Int) -> String {
            let s = "\(v)"
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return UTCDateFormat.parseISO8601(
            "\(pad(year, 4))-\(pad(monthIndex + 1, 2))-\(pad(day, 2))T\(time[0]):\(time[1]):\(time[2])Z"
        )
    }
}
