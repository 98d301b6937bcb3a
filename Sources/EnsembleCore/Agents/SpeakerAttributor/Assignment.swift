/// Maximum-weight one-to-one assignment of rows (labels) to columns (people), where any row may
/// instead stay unassigned at score zero. Solved by the Hungarian method (O(n²m)) on each connected
/// component of the positive-score graph, so sparse evidence costs close to linear time.
struct Assignment: Sendable {
    /// Row → column, or nil when the row stays unassigned.
    var columnOfRow: [Int?]
    var total: Double

    /// - Parameters:
    ///   - rows: number of rows.
    ///   - columns: number of columns.
    ///   - scores: the positive-score pairs; a pair not listed scores zero or below and is never chosen.
    static func solve(rows: Int, columns: Int, scores: [Pair: Double]) -> Assignment {
        var result = Assignment(columnOfRow: Array(repeating: nil, count: rows), total: 0)
        for component in Self.components(rows: rows, columns: columns, scores: scores) {
            let solved = Self.solveDense(
                rows: component.rows, columns: component.columns, scores: scores, forbidden: nil)
            for (row, column) in solved.pairs { result.columnOfRow[row] = column }
            result.total += solved.total
        }
        return result
    }

    /// The drop in total score if `row` may not take `column`: the margin behind a confidence.
    static func margin(row: Int, column: Int, scores: [Pair: Double], component: Component) -> Double {
        let best = Self.solveDense(rows: component.rows, columns: component.columns, scores: scores, forbidden: nil)
        let alternative = Self.solveDense(
            rows: component.rows, columns: component.columns, scores: scores, forbidden: Pair(row: row, column: column)
        )
        return best.total - alternative.total
    }

    struct Pair: Hashable, Sendable {
        var row: Int
        var column: Int
    }

    struct Component: Sendable {
        var rows: [Int]
        var columns: [Int]
    }

    /// Connected components of the bipartite graph of positive pairs; rows with no pair are left out.
    static func components(rows: Int, columns: Int, scores: [Pair: Double]) -> [Component] {
        var parent = Array(0..<(rows + columns))
        func find(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        var touchedRows = Set<Int>()
        var touchedColumns = Set<Int>()
        for (pair, score) in scores where score > 0 {
            touchedRows.insert(pair.row)
            touchedColumns.insert(pair.column)
            let a = find(pair.row)
            let b = find(rows + pair.column)
            if a != b { parent[a] = b }
        }
        var byRoot: [Int: Component] = [:]
        for row in touchedRows.sorted() {
            byRoot[find(row), default: Component(rows: [], columns: [])].rows.append(row)
        }
        for column in touchedColumns.sorted() {
            byRoot[find(rows + column), default: Component(rows: [], columns: [])].columns.append(column)
        }
        return byRoot.keys.sorted().map { byRoot[$0]! }
    }

    /// Hungarian method on one component, with one zero-score "unassigned" column per row.
    static func solveDense(
        rows: [Int], columns: [Int], scores: [Pair: Double], forbidden: Pair?
    ) -> (pairs: [(Int, Int)], total: Double) {
        let n = rows.count
        let m = columns.count + n
        guard n > 0 else { return ([], 0) }
        let blocked = 1e9
        // cost[i][j], 1-based as in the classic formulation.
        var cost = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: n + 1)
        for i in 1...n {
            for j in 1...m {
                if j <= columns.count {
                    let pair = Pair(row: rows[i - 1], column: columns[j - 1])
                    if pair == forbidden {
                        cost[i][j] = blocked
                    } else if let score = scores[pair], score > 0 {
                        cost[i][j] = -score
                    } else {
                        cost[i][j] = blocked
                    }
                } else {
                    cost[i][j] = 0
                }
            }
        }
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var p = [Int](repeating: 0, count: m + 1)
        var way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let current = cost[i0][j] - u[i0] - v[j]
                    if current < minv[j] {
                        minv[j] = current
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...m {
                    if used[j] {
                        u[p[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var pairs: [(Int, Int)] = []
        var total = 0.0
        for j in 1...m where p[j] != 0 && j <= columns.count {
            let i = p[j]
            guard cost[i][j] < 0 else { continue }
            pairs.append((rows[i - 1], columns[j - 1]))
            total -= cost[i][j]
        }
        return (pairs, total)
    }
}
