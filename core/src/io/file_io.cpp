#include "cnn/io/file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cnn/base/error.hpp"

#ifdef CNN_HAVE_ZLIB
#include <zlib.h>
#endif

namespace cnn {

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes) {
    // POSIX rather than ifstream: a stream "opens" a directory and reports a nonsense size, and
    // blocks forever on a FIFO with no writer. O_NONBLOCK makes open() return at once for a FIFO;
    // for regular files it changes nothing.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error("cannot read '" + path + "': " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error("cannot read '" + path + "': it is a directory, not a file");
    if (!S_ISREG(st.st_mode))
        throw Error("cannot read '" + path + "': not a regular file (a device, pipe or socket)");
    if (st.st_size < 0 || std::uint64_t(st.st_size) > max_bytes)
        throw Error("'" + path + "' is " + std::to_string(st.st_size) + " bytes; files larger than " +
                    std::to_string(max_bytes) + " bytes are refused (wrong file?)");
    std::vector<std::uint8_t> data(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error("cannot read '" + path + "': " + std::strerror(errno));
        if (n == 0)
            throw Error("cannot read '" + path + "': it shrank from " + std::to_string(data.size()) +
                        " to " + std::to_string(done) + " bytes while being read");
        done += std::size_t(n);
    }
    return data;
}

void write_file_atomic(const std::string& path, const std::uint8_t* data, std::size_t size) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error("cannot write '" + tmp + "': " + std::strerror(errno));
    const bool ok_write = size == 0 || std::fwrite(data, 1, size, f) == size;
    const int write_errno = errno;
    const bool ok_flush = std::fflush(f) == 0;
    const bool ok_close = std::fclose(f) == 0;
    if (!ok_write || !ok_flush || !ok_close) {
        std::remove(tmp.c_str());
        throw Error("cannot write '" + path + "': " + std::strerror(ok_write ? errno : write_errno) +
                    " (the previous file, if any, is unchanged)");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        std::remove(tmp.c_str());
        throw Error("cannot replace '" + path + "': " + std::strerror(e));
    }
}

void check_writable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            throw Error("cannot write '" + path + "': it is a directory; give a file name in it");
        if (!S_ISREG(st.st_mode))
            throw Error("cannot write '" + path + "': not a regular file (a device, pipe or socket)");
    }
    // The very temporary file write_file_atomic makes: where it can be created, renaming it over
    // path (same directory) works too.
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const std::string parent = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
        throw Error("cannot write '" + path + "': creating a file in '" + parent + "' failed: " +
                    std::strerror(errno));
    }
    ::close(fd);
    std::remove(tmp.c_str());
}

std::vector<std::uint8_t> maybe_gunzip(std::vector<std::uint8_t> data, const std::string& what,
                                       std::size_t max_bytes) {
    if (data.size() < 2 || data[0] != 0x1f || data[1] != 0x8b) return data;
#ifdef CNN_HAVE_ZLIB
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw DataError(what + ": cannot start gzip decoder");
    struct Ender {
        z_stream* zs;
        ~Ender() { inflateEnd(zs); }
    } ender{&zs};
    std::vector<std::uint8_t> out;
    std::uint8_t buf[1 << 16];
    std::size_t pos = 0;  // input bytes consumed
    for (;;) {
        // zlib counts in 32-bit uInt: feed the input in pieces it can hold.
        if (zs.avail_in == 0 && pos < data.size()) {
            const std::size_t piece = std::min<std::size_t>(data.size() - pos, 1u << 30);
            zs.next_in = data.data() + pos;
            zs.avail_in = static_cast<uInt>(piece);
            pos += piece;
        }
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t produced = sizeof buf - zs.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            // Z_BUF_ERROR: no progress possible, i.e. the input ended inside the stream.
            const bool truncated = rc == Z_BUF_ERROR;
            throw DataError(what + ": corrupt or truncated gzip data (" +
                            (truncated ? std::string("unexpected end of data")
                                       : zs.msg ? std::string(zs.msg) : "zlib error " + std::to_string(rc)) +
                            ")");
        }
        // Checked before growing, so that a bomb costs no more memory than the cap.
        if (produced > max_bytes - out.size())
            throw DataError(what + ": gzip data expands beyond " + std::to_string(max_bytes) +
                            " bytes (too large, or not a data file)");
        out.insert(out.end(), buf, buf + produced);
        if (rc != Z_STREAM_END) continue;
        // End of one gzip member: another may follow (concatenated .gz files), nothing else may.
        const std::size_t rest = zs.avail_in + (data.size() - pos);
        if (rest == 0) break;
        const std::size_t at = data.size() - rest;
        if (rest < 2 || data[at] != 0x1f || data[at + 1] != 0x8b)
            throw DataError(what + ": " + std::to_string(rest) + " unexpected bytes after the gzip data at byte " +
                            std::to_string(at));
        if (inflateReset(&zs) != Z_OK) throw DataError(what + ": cannot restart gzip decoder");
    }
    return out;
#else
    (void)max_bytes;
    throw DataError(what + ": gzip-compressed data is not supported in this build; decompress it first");
#endif
}

}  // namespace cnn
