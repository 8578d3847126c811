#include "cnn/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cnn/error.hpp"

#ifdef CNN_HAVE_ZLIB
#include <zlib.h>
#endif

namespace cnn {

std::vector<std::uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw Error("cannot open '" + path + "': " + std::strerror(errno));
    const std::streamoff size = in.tellg();
    if (size < 0) throw Error("cannot read '" + path + "' (not a regular file?)");
    std::vector<std::uint8_t> data(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(data.data()), size))
        throw Error("cannot read '" + path + "': " + std::strerror(errno));
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

std::vector<std::uint8_t> maybe_gunzip(std::vector<std::uint8_t> data, const std::string& what,
                                       std::size_t max_bytes) {
    if (data.size() < 2 || data[0] != 0x1f || data[1] != 0x8b) return data;
#ifdef CNN_HAVE_ZLIB
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw DataError(what + ": cannot start gzip decoder");
    std::vector<std::uint8_t> out;
    std::uint8_t buf[1 << 16];
    zs.next_in = data.data();
    zs.avail_in = static_cast<uInt>(data.size());
    int rc;
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw DataError(what + ": corrupt or truncated gzip data (" +
                            (zs.msg ? std::string(zs.msg) : "unexpected end of data") + ")");
        }
        out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
        if (out.size() > max_bytes) {
            inflateEnd(&zs);
            throw DataError(what + ": gzip data expands beyond " + std::to_string(max_bytes) + " bytes");
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    return out;
#else
    (void)max_bytes;
    throw DataError(what + ": gzip-compressed data is not supported in this build; decompress it first");
#endif
}

std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc) {
    static const auto table = [] {
        std::uint32_t t[256];
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return std::vector<std::uint32_t>(t, t + 256);
    }();
    crc = ~crc;
    for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

}  // namespace cnn
