public import EnsembleCore

/// The X12 envelope settings (`Agents/billing-reconciler/interchange.json`).
public struct InterchangeSettings: Sendable, Hashable {
    public var version: String
    public var submitterID: String
    public var submitterQualifier: String
    /// The submitter's name in loop 1000A; the first billing provider's when nil.
    public var submitterName: String?
    public var contactName: String
    /// Ten digits.
    public var contactPhone: String
    public var receiverID: String
    public var receiverQualifier: String
    public var receiverName: String
    /// ISA15 `P` when true, else `T`.
    public var production: Bool
    public var acknowledgmentRequested: Bool

    public init(
        version: String, submitterID: String, submitterQualifier: String = "ZZ", submitterName: String? = nil,
        contactName: String, contactPhone: String, receiverID: String, receiverQualifier: String = "ZZ",
        receiverName: String, production: Bool = false, acknowledgmentRequested: Bool = false
    ) {
        self.version = version
        self.submitterID = submitterID
        self.submitterQualifier = submitterQualifier
        self.submitterName = submitterName
        self.contactName = contactName
        self.contactPhone = contactPhone
        self.receiverID = receiverID
        self.receiverQualifier = receiverQualifier
        self.receiverName = receiverName
        self.production = production
        self.acknowledgmentRequested = acknowledgmentRequested
    }
}

/// Why claims could not be written as an 837P (by claim id, never by content).
public struct ClaimExportError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}

/// Writes claims as one X12 837P interchange (005010X222A1, DOMAIN.md section 2): ISA/GS/ST envelope
/// with matching control numbers and counted segments; 1000A/B; per billing provider 2000A/2010AA; per
/// claim 2000B/2010BA/2010BB, 2000C/2010CA only when the patient is not the subscriber, 2300 CLM and
/// HI (no decimal points, ABK then ABF), 2310B when the rendering clinician is not the billing provider,
/// and 2400 LX/SV1/DTP per line.
public enum X12ClaimWriter {
    /// Claims per transaction set; the guide recommends at most 5000.
    static let claimsPerTransaction = 5000

    /// - Parameters:
    ///   - claims: ready or pending claims (a blocked or not billable claim is refused: it cannot be submitted).
    ///   - controlNumber: the interchange control number, 1 to 999999999; unique per submitter.
    ///   - created: when the file is made (ISA09/10, GS04/05, BHT04/05), in the practice's local time.
    public static func write(
        _ claims: [Claim], settings: InterchangeSettings, controlNumber: Int, created: Timestamp
    ) throws(ClaimExportError) -> String {
        guard (1...999_999_999).contains(controlNumber) else {
            throw ClaimExportError("the interchange control number must be 1 to 999999999")
        }
        guard !claims.isEmpty else { throw ClaimExportError("there are no claims to export") }
        for claim in claims {
            guard claim.status.isSubmittable else {
                throw ClaimExportError(
                    claim.status == .blocked
                        ? "claim \(claim.id) is blocked; fix its reasons before exporting it"
                        : "claim \(claim.id) is not billable; it cannot be exported")
            }
            guard claim.payer != nil, claim.billingProvider != nil, claim.renderingProvider != nil,
                !claim.diagnoses.isEmpty, !claim.lines.isEmpty, claim.placeOfService != nil
            else { throw ClaimExportError("claim \(claim.id) is incomplete") }
            if settings.production && claim.status != .ready {
                throw ClaimExportError(
                    "claim \(claim.id) is \(claim.status.rawValue); a production file holds only ready claims (signed notes)"
                )
            }
        }
        let date = Self.date(created.localDate)
        let seconds =
            ((Int(created.secondsSinceEpoch.rounded(.down)) + created.utcOffsetSeconds) % 86_400 + 86_400) % 86_400
        let time = Digits.padded(seconds / 3600, 2) + Digits.padded(seconds % 3600 / 60, 2)
        let control = Digits.padded(controlNumber, 9)

        var out = Segments()
        out.add([
            "ISA", "00", Self.pad("", 10), "00", Self.pad("", 10), settings.submitterQualifier,
            Self.pad(settings.submitterID, 15), settings.receiverQualifier, Self.pad(settings.receiverID, 15),
            String(date.dropFirst(2)), time, "^", "00501", control, settings.acknowledgmentRequested ? "1" : "0",
            settings.production ? "P" : "T", ":",
        ])
        out.add([
            "GS", "HC", settings.submitterID, settings.receiverID, date, time, String(controlNumber), "X",
            "005010X222A1",
        ])
        let chunks = stride(from: 0, to: claims.count, by: Self.claimsPerTransaction).map {
            Array(claims[$0..<min($0 + Self.claimsPerTransaction, claims.count)])
        }
        for (offset, chunk) in chunks.enumerated() {
            let transaction = Digits.padded(offset + 1, 4)
            let start = out.count
            out.add(["ST", "837", transaction, "005010X222A1"])
            out.add(["BHT", "0019", "00", "\(control)\(transaction)", date, time, "CH"])
            let submitterName = settings.submitterName ?? chunk[0].billingProvider?.name ?? settings.submitterID
            out.add(["NM1", "41", "2", Self.text(submitterName, 60), "", "", "", "", "46", settings.submitterID])
            out.add(["PER", "IC", Self.text(settings.contactName, 60), "TE", settings.contactPhone])
            out.add(["NM1", "40", "2", Self.text(settings.receiverName, 60), "", "", "", "", "46", settings.receiverID])
            self.writeProviders(chunk, into: &out)
            out.add(["SE", String(out.count - start + 1), transaction])
        }
        out.add(["GE", String(chunks.count), String(controlNumber)])
        out.add(["IEA", "1", control])
        return out.text
    }

    private static func writeProviders(_ claims: [Claim], into out: inout Segments) {
        // One 2000A per billing provider, in the order first seen.
        var order: [ClaimProvider] = []
        var byProvider: [ClaimProvider: [Claim]] = [:]
        for claim in claims {
            guard let provider = claim.billingProvider else { continue }
            if byProvider[provider] == nil { order.append(provider) }
            byProvider[provider, default: []].append(claim)
        }
        var hl = 0
        for provider in order {
            hl += 1
            let providerHL = hl
            out.add(["HL", String(providerHL), "", "20", "1"])
            if let taxonomy = provider.taxonomy { out.add(["PRV", "BI", "PXC", taxonomy]) }
            out.add(["NM1", "85", "2", Self.text(provider.name, 60), "", "", "", "", "XX", provider.npi])
            self.address(provider.address, into: &out)
            out.add(["REF", "EI", provider.taxId ?? ""])
            for claim in byProvider[provider] ?? [] {
                hl += 1
                let subscriberHL = hl
                let patientIsSubscriber = claim.subscriber == nil
                out.add(["HL", String(subscriberHL), String(providerHL), "22", patientIsSubscriber ? "0" : "1"])
                let payer = claim.payer!
                out.add([
                    "SBR", payer.sequence, patientIsSubscriber ? "18" : "", Self.text(payer.groupNumber ?? "", 50), "",
                    "",
                    "", "", "", payer.claimFilingIndicator,
                ])
                let subscriber = claim.subscriber ?? claim.patient
                out.add(Self.personName("IL", subscriber.name) + ["MI", Self.text(payer.memberId, 80)])
                if patientIsSubscriber {
                    self.address(subscriber.address, into: &out)
                    out.add(["DMG", "D8", subscriber.dateOfBirth.map(Self.date) ?? "", subscriber.sex.rawValue])
                }
                out.add([
                    "NM1", "PR", "2", Self.text(payer.name, 60), "", "", "", "", "PI", Self.text(payer.payerId, 80),
                ])
                if !patientIsSubscriber {
                    hl += 1
                    out.add(["HL", String(hl), String(subscriberHL), "23", "0"])
                    out.add(["PAT", claim.patientRelationshipCode ?? "G8"])
                    out.add(Self.personName("QC", claim.patient.name))
                    self.address(claim.patient.address, into: &out)
                    out.add(["DMG", "D8", claim.patient.dateOfBirth.map(Self.date) ?? "", claim.patient.sex.rawValue])
                }
                self.writeClaim(claim, billing: provider, into: &out)
            }
        }
    }

    private static func writeClaim(_ claim: Claim, billing: ClaimProvider, into out: inout Segments) {
        out.add([
            "CLM", claim.id, self.money(claim.totalChargeInCents), "", "",
            "\(claim.placeOfService ?? ""):B:1", "Y", "A", "Y", "Y",
        ])
        let diagnoses = claim.diagnoses.enumerated().map { offset, code in
            (offset == 0 ? "ABK:" : "ABF:") + ClaimChecks.compactDiagnosis(code)
        }
        out.add(["HI"] + diagnoses)
        if let rendering = claim.renderingProvider, rendering.npi != billing.npi {
            out.add(Self.personName("82", rendering.name) + ["XX", rendering.npi])
            if let taxonomy = rendering.taxonomy { out.add(["PRV", "PE", "PXC", taxonomy]) }
        }
        for (offset, line) in claim.lines.enumerated() {
            out.add(["LX", String(offset + 1)])
            out.add([
                "SV1", (["HC", line.cpt] + line.modifiers).joined(separator: ":"), self.money(line.chargeInCents), "UN",
                String(line.units), "", "", line.diagnosisPointers.map(String.init).joined(separator: ":"),
            ])
            out.add(["DTP", "472", "D8", self.date(claim.dateOfService)])
        }
    }

    private static func address(_ address: Address?, into out: inout Segments) {
        guard let address else { return }
        var street = ["N3", Self.text(address.line1 ?? "", 55)]
        if let line2 = address.line2, !line2.isEmpty { street.append(Self.text(line2, 55)) }
        out.add(street)
        out.add([
            "N4", Self.text(address.city ?? "", 30), (address.state ?? "").uppercased(),
            (address.postalCode ?? "").filter(\.isNumber),
        ])
    }

    /// NM1 for a person: entity code, `1`, last, first, middle, (prefix), suffix.
    private static func personName(_ entity: String, _ name: String) -> [String] {
        let parts = PersonName(name)
        return [
            "NM1", entity, "1", Self.text(parts.last, 60), Self.text(parts.first, 35), Self.text(parts.middle, 25), "",
            Self.text(parts.suffix, 10),
        ]
    }

    // MARK: - Values

    /// `CCYYMMDD`.
    static func date(_ date: CalendarDate) -> String {
        Digits.padded(date.year, 4) + Digits.padded(date.month, 2) + Digits.padded(date.day, 2)
    }

    /// Dollars with no trailing zeros: 6500 → `65`, 6550 → `65.5`, 6505 → `65.05`.
    static func money(_ cents: Int) -> String {
        let dollars = "\(cents / 100)"
        switch cents % 100 {
        case 0: return dollars
        case let remainder where remainder % 10 == 0: return "\(dollars).\(remainder / 10)"
        case let remainder: return "\(dollars).\(Digits.padded(remainder, 2))"
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    /// X12's basic character set, less the delimiters this writer uses (`*`, `:`, `^`, `~`).
    private static let basicCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./;?=")

    /// A value in X12's basic character set: accents folded, upper case, delimiters and other characters
    /// dropped, spaces collapsed, cut to `limit`.
    static func text(_ value: String, _ limit: Int) -> String {
        var result = ""
        var lastWasSpace = true
        for character in TextFolding.fold(value).uppercased() {
            let kept: Character = Self.basicCharacters.contains(character) ? character : " "
            if kept == " " {
                if lastWasSpace { continue }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            result.append(kept)
        }
        while result.last == " " { result.removeLast() }
        return String(result.prefix(limit))
    }

    /// Segments as element arrays; trailing empty elements are dropped, as X12 requires.
    struct Segments {
        private(set) var lines: [String] = []
        var count: Int { self.lines.count }

        mutating func add(_ elements: [String]) {
            var elements = elements
            while elements.count > 1, elements.last?.isEmpty == true { elements.removeLast() }
            self.lines.append(elements.joined(separator: "*") + "~")
        }

        var text: String { self.lines.joined(separator: "\n") + "\n" }
    }
}

/// A person's name split for X12 NM1: titles and credentials dropped, the last word the family name.
struct PersonName {
    var first = ""
    var middle = ""
    var last = ""
    var suffix = ""

    init(_ full: String) {
        let titles: Set<String> = ["dr", "mr", "mrs", "ms", "mx", "miss", "prof"]
        let suffixes: Set<String> = ["jr", "sr", "ii", "iii", "iv"]
        // Credentials follow a comma ("Dana Whitfield, LCSW").
        let beforeComma = full.split(separator: ",", maxSplits: 1).first.map(String.init) ?? full
        var words = beforeComma.split(separator: " ").map(String.init)
        while let first = words.first, titles.contains(TextFolding.fold(first).filter { $0 != "." }), words.count > 1 {
            words.removeFirst()
        }
        if let last = words.last, suffixes.contains(TextFolding.fold(last).filter { $0 != "." }), words.count > 2 {
            self.suffix = last.filter { $0 != "." }
            words.removeLast()
        }
        guard let last = words.last else { return }
        self.last = last
        if words.count > 1 {
            self.first = words[0]
            self.middle = words[1..<(words.count - 1)].joined(separator: " ")
        }
    }
}
