import Foundation

/// Small text helpers for aligned terminal tables.
enum Text {
    static func pad(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text : text + String(repeating: " ", count: width - count)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text : String(repeating: " ", count: width - count) + text
    }

    static func truncate(_ text: String, _ width: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }

    /// `0.97`
    static func decimal(_ value: Double, places: Int = 2) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = abs(scaled % Int(scale))
        var digits = String(fraction)
        while digits.count < places { digits = "0" + digits }
        return "\(whole).\(digits)"
    }

    /// `12:05` or `1:02:05`
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let hours = total / 3600
        let minutes = total / 60 % 60
        let secs = total % 60
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }

    static func percent(_ value: Double) -> String { self.decimal(value * 100, places: 1) + "%" }
}

extension Text {
    /// The terminal's width from `COLUMNS` (as shells export it), else 100; at least 60.
    static var width: Int {
        guard let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) else { return 100 }
        return max(60, columns)
    }

    /// Word-wrapped lines of at most `width` characters; a word longer than the width keeps its own line,
    /// whole. Nothing is cut.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
