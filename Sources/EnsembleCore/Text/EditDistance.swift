/// Levenshtein distance with an early exit, for fuzzy name matching (`Connor` ~ `Conor`).
public enum EditDistance {
    /// The edit distance between `a` and `b`, or nil when it exceeds `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int? {
        Self.distance(Array(a.unicodeScalars), Array(b.unicodeScalars), limit: limit)
    }

    /// The same over scalars already split out (a caller comparing one word with many).
    public static func distance(_ left: [Unicode.Scalar], _ right: [Unicode.Scalar], limit: Int) -> Int? {
        if abs(left.count - right.count) > limit { return nil }
        if left.isEmpty { return right.count <= limit ? right.count : nil }
        if right.isEmpty { return left.count <= limit ? left.count : nil }
        var previous = Array(0...right.count)
        var current = [Int](repeating: 0, count: right.count + 1)
        for i in 1...left.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...right.count {
                let substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[right.count] <= limit ? previous[right.count] : nil
    }

    /// The number of words inserted, deleted or replaced to turn `a` into `b` (Levenshtein over words),
    /// in O(|a|·|b|) time and O(|b|) memory.
    public static func words(_ a: [String], _ b: [String]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// A sound key for English names, after Lawrence Philips' Metaphone, reduced to what speech
/// recognition confuses: `Katelyn` and `Caitlin` both read `KTLN`, `Stephen` and `Steven` `STFN`.
/// Letters only; the first letter is kept as heard, later vowels are dropped and doubled sounds
/// collapse.
public enum PhoneticKey {
    public static func key(_ scalars: [Unicode.Scalar]) -> String {
        let letters = scalars.map { Character($0) }
        var sounds: [Character] = []
        func at(_ index: Int) -> Character? { index >= 0 && index < letters.count ? letters[index] : nil }
        let softening: Set<Character> = ["e", "i", "y"]
        let vowels: Set<Character> = ["a", "e", "i", "o", "u"]
        var index = 0
        // Silent first letters.
        if let first = at(0), let second = at(1),
            ["kn", "gn", "pn", "wr", "ps"].contains(String([first, second]))
        {
            index = 1
        }
        while index < letters.count {
            let letter = letters[index]
            let next = at(index + 1)
            var sound: Character? = letter
            switch letter {
            case "a", "e", "i", "o", "u", "y":
                sound = sounds.isEmpty ? "a" : nil
            case "c":
                if next == "h" {
                    sound = "x"
                    index += 1
                } else if next == "k" {
                    sound = "k"
                    index += 1
                } else {
                    sound = next.map(softening.contains) == true ? "s" : "k"
                }
            case "p": if next == "h" { sound = "f"; index += 1 } else { sound = "p" }
            case "s": if next == "h" { sound = "x"; index += 1 } else { sound = "s" }
            case "t": if next == "h" { sound = "0"; index += 1 } else { sound = "t" }
            case "d": sound = "t"
            case "g":
                if next == "h" {
                    sound = sounds.isEmpty ? "k" : nil
                    index += 1
                } else {
                    sound = next.map(softening.contains) == true ? "j" : "k"
                }
            case "h":
                sound =
                    at(index - 1).map(vowels.contains) == false ? nil : (next.map(vowels.contains) == true ? "h" : nil)
            case "q": sound = "k"
            case "v": sound = "f"
            case "w": sound = next.map(vowels.contains) == true ? "w" : nil
            case "x": sound = "s"
            case "z": sound = "s"
            default: break
            }
            if let sound, sounds.last != sound { sounds.append(sound) }
            index += 1
        }
        return String(sounds)
    }
}
