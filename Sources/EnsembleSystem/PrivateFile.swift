#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files that hold PHI or credentials (the store and its `-wal` and `-shm` files, token files, exports):
/// readable and writable by their owner only (mode 0600) whatever the process's umask.
public enum PrivateFile {
    /// Why a private file could not be made or used; names the path and what to do, never content.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    /// Makes `path` ready to be opened as a private file: created empty with mode 0600 when missing; when
    /// it exists, group and other permissions are taken away, and a symbolic link, a file another user
    /// owns, or one that other users can write is refused (its content may already have been changed by
    /// them). With `create` false a missing file is left missing.
    public static func prepare(_ path: String, create: Bool = true) throws(Failure) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw Failure(message: "\(path) is not a regular file (a link, a folder or a device); name a file")
            }
            guard info.st_uid == geteuid() else {
                throw Failure(
                    message: "\(path) belongs to another user (uid \(info.st_uid)); run Ensemble as that user, "
                        + "or check who made the file")
            }
            let mode = info.st_mode & 0o777
            if mode & 0o022 != 0 {
                throw Failure(
                    message: "\(path) can be written by other users (mode \(Self.octal(mode))); "
                        + "check it was not changed by someone else, then run chmod 600 \(path)")
            }
            if mode & 0o077 != 0, chmod(path, mode & 0o700) != 0 {
                throw Failure(
                    message: "\(path) can be read by other users (mode \(Self.octal(mode))) and could not be made "
                        + "private; run chmod 600 \(path) as its owner")
            }
            return
        }
        guard errno == ENOENT else {
            throw Failure(message: "cannot read the attributes of \(path) (\(Self.reason(errno))); check the path")
        }
        guard create else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { return try self.prepare(path, create: false) }
            throw Failure(
                message: "cannot create \(path) (\(Self.reason(errno))); check the folder and its permissions")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw Failure(message: "cannot make \(path) private (\(Self.reason(errno)))")
        }
    }

    /// Writes `bytes` to `path` as a new private file: written whole to a temporary file beside it, then
    /// renamed over the old one, so a reader never sees a part, and one who had the old file open (or a
    /// link to it) never sees the new content.
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = path + ".tmp-" + String(UInt32.random(in: .min ... .max), radix: 16)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Failure(message: "cannot write \(path) (\(Self.reason(errno))); check the folder and its permissions")
        }
        do {
            try self.fill(descriptor, with: bytes, path: path)
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = Self.reason(errno)
            unlink(temporary)
            throw Failure(message: "cannot write \(path) (\(reason)); check the folder and its permissions")
        }
    }

    private static func fill(_ descriptor: Int32, with bytes: [UInt8], path: String) throws(Failure) {
        guard fchmod(descriptor, 0o600) == 0 else {
            throw Failure(message: "cannot make \(path) private (\(Self.reason(errno)))")
        }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(message: "cannot write \(path) (\(Self.reason(errno)))")
            }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw Failure(message: "cannot write \(path) (\(Self.reason(errno)))") }
    }

    /// The permission bits of `path`, or nil when it does not exist.
    public static func mode(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o777)
    }

    static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
