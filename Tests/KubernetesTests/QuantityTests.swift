import Kubernetes
import Testing

/// Cases from apimachinery's `quantity_test.go` (TestQuantityParse, TestQuantityString, TestQuantityParseEmit).
struct QuantityTests {
    /// (input, expected canonical string, expected format) — parse then print.
    @Test(arguments: [
        ("0", "0"), ("0n", "0"), ("0Ki", "0"), ("1", "1"),
        ("1Ki", "1Ki"), ("8Ki", "8Ki"), ("7Mi", "7Mi"), ("6Gi", "6Gi"), ("5Ti", "5Ti"), ("4Pi", "4Pi"), ("3Ei", "3Ei"),
        ("5n", "5n"), ("4u", "4u"), ("3m", "3m"), ("8k", "8k"), ("50k", "50k"), ("7M", "7M"), ("6G", "6G"),
        ("5T", "5T"), ("40T", "40T"), ("300T", "300T"), ("2P", "2P"), ("1E", "1E"),
        ("1E-3", "1e-3"), ("1e3", "1e3"), ("1E6", "1e6"), ("1e9", "1e9"), ("1e14", "100e12"), ("1e13", "10e12"),
        ("100.035k", "100035"), ("0.001", "1m"), ("0.0005k", "500m"), ("0.5", "500m"), ("0.00500", "5m"),
        ("0.5e0", "500e-3"), ("0.5e-1", "50e-3"), ("10.035M", "10035k"), ("1.2e3", "1200"), ("1.3E+6", "1300e3"),
        ("9.01", "9010m"), ("8.1k", "8100"), ("7.123456M", "7123456"), ("6.987654321G", "6987654321"),
        ("2.5P", "2500T"), ("1.01E", "1010P"), ("12E", "12E"),
        ("3.001n", "4n"), ("1.1E-9", "2e-9"), ("0.0000000001", "1n"), ("0.0000000005", "1n"), ("0.5e-9", "1e-9"),
        ("0.9n", "1n"), ("0.00000012345", "124n"),
        ("9Ei", "9223372036854775807"), ("9223372036854775807Ki", "9223372036854775807"),
        ("100.035Ki", "102435840m"), ("0.5Mi", "512Ki"), ("0.05Gi", "53687091200m"),
        ("0.000000000001Ki", "2n"), (".001", "1m"), (".0001k", "100m"), ("1.", "1"), ("1.G", "1G"),
        ("1024Mi", "1Gi"), ("1000M", "1G"), (".001Ki", "1024m"), (".000001Ki", "1024u"), (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"), ("1.5", "1500m"), ("1.5Gi", "1536Mi"), ("1000E", "1e21"),
        ("1080m", "1080m"), ("1.08", "1080m"), ("300Mi", "300Mi"), ("307200Ki", "300Mi"), ("1025Ki", "1025Ki"),
        ("1.1Ki", "1126400m"), ("0.001T", "1G"), ("1000u", "1m"), ("00", "0"), ("-0", "0"), (".", "0"),
    ])
    func parsesAndPrintsCanonically(input: String, canonical: String) throws {
        let q = try Quantity(parsing: input)
        #expect(q.description == canonical, "\(input)")
        // The canonical form parses back to the same value.
        #expect(try Quantity(parsing: canonical) == q)
        if !q.isZero {
            let negative = try Quantity(parsing: "-" + input)
            #expect(negative.description == "-" + canonical, "-\(input)")
            #expect(negative == q.negated)
        }
    }

    @Test(arguments: [
        ("1Ki", Quantity.Format.binarySI), ("1", .decimalSI), ("1e3", .decimalExponent), ("5n", .decimalSI),
        ("0.000000000001Ki", .decimalSI), ("0.5Mi", .binarySI), ("1.3E+6", .decimalExponent),
    ])
    func keepsTheFormatApimachineryAssigns(input: String, format: Quantity.Format) throws {
        #expect(try Quantity(parsing: input).format == format)
    }

    @Test(arguments: [
        "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "1e4294967297",
        " 1", "1 ", "1x", "Non-Numeric", "1E2147483648",
    ])
    func rejectsMalformedValuesNamingThem(input: String) {
        do {
            _ = try Quantity(parsing: input)
            Issue.record("\(input) parsed")
        } catch let error as KubeError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.hasPrefix("cannot parse quantity \"\(input)\": "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func reportsTheRightReasons() {
        #expect(throws: KubeError.self) { try Quantity(parsing: "1x") }
        let suffix = #"cannot parse quantity "0.1mi": unable to parse quantity's suffix"#
        #expect(message(of: "0.1mi") == suffix)
        #expect(message(of: "aoeu")?.contains("quantities must match the regular expression") == true)
    }

    private func message(of input: String) -> String? {
        do {
            _ = try Quantity(parsing: input)
            return nil
        } catch let e as KubeError {
            return e.message
        } catch {
            return nil
        }
    }

    @Test(arguments: [
        ("0", "0", 0), ("100m", "50m", 1), ("50m", "100m", -1), ("10000T", "100Gi", 1), ("1Gi", "1024Mi", 0),
        ("1G", "1Gi", -1), ("-1", "1m", -1), ("-2", "-1", -1), ("1e21", "9Ei", 1), ("999n", "1u", -1),
    ])
    func compares(lhs: String, rhs: String, expected: Int) throws {
        let a = try Quantity(parsing: lhs)
        let b = try Quantity(parsing: rhs)
        #expect(a.compare(to: b) == expected)
        #expect(b.compare(to: a) == -expected)
        #expect((a < b) == (expected < 0))
        #expect((a == b) == (expected == 0))
    }

    @Test func givesValuesInBytesAndMilli() throws {
        #expect(try Quantity(parsing: "1.5Gi").value == 1_610_612_736)
        #expect(try Quantity(parsing: "100m").value == 1)  // rounds up like Value()
        #expect(try Quantity(parsing: "-100m").value == -1)
        #expect(try Quantity(parsing: "1500m").milliValue == 1500)
        #expect(try Quantity(parsing: "2").milliValue == 2000)
        #expect(try Quantity(parsing: "1n").milliValue == 1)
        #expect(try Quantity(parsing: "1e30").value == Int64.max)
        #expect(try Quantity(parsing: "512Mi").exactInt64 == 536_870_912)
        #expect(try Quantity(parsing: "1.5").exactInt64 == nil)
        #expect(Quantity(milli: 2500).description == "2500m")
        #expect(Quantity(1024, format: .binarySI).description == "1Ki")
        #expect(Quantity(2000, format: .binarySI).description == "2000")
    }

    @Test func readsJSONStringsAndNumbers() throws {
        #expect(try Quantity(json: "250m").description == "250m")
        #expect(try Quantity(json: .int(3)).description == "3")
        #expect(try Quantity(json: .double(0.5)).description == "500m")
        #expect(throws: KubeError.self) { try Quantity(json: .bool(true)) }
        #expect(try Quantity(parsing: "1.5Gi").jsonValue == "1536Mi")
    }
}
