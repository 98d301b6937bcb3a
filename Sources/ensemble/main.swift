import EnsembleCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

exit(await EnsembleCLI.run(Array(CommandLine.arguments.dropFirst())))
