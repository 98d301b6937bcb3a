#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Elementary functions from the C library; the standard library has none and the core avoids Foundation.
enum Math {
    @inline(__always) static func exp(_ x: Double) -> Double { CLibrary.exp(x) }

    @inline(__always) static func log(_ x: Double) -> Double { CLibrary.log(x) }

    @inline(__always) static func tanh(_ x: Double) -> Double { CLibrary.tanh(x) }

    /// The logistic function.
    @inline(__always) static func logistic(_ x: Double) -> Double { 1 / (1 + CLibrary.exp(-x)) }
}

/// The C library's functions under one name, so call sites cannot pick up another overload.
private enum CLibrary {
    @inline(__always) static func exp(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.exp(x)
        #elseif canImport(Musl)
            Musl.exp(x)
        #else
            Darwin.exp(x)
        #endif
    }

    @inline(__always) static func log(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.log(x)
        #elseif canImport(Musl)
            Musl.log(x)
        #else
            Darwin.log(x)
        #endif
    }

    @inline(__always) static func tanh(_ x: Double) -> Double {
        #if canImport(Glibc)
            Glibc.tanh(x)
        #elseif canImport(Musl)
            Musl.tanh(x)
        #else
            Darwin.tanh(x)
        #endif
    }
}
