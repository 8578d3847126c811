// Whole-file reads and atomic writes (temp file in the same directory, then rename), so that a
// crash or a full disk never leaves a half-written file in place of a good one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

// Files larger than this are refused by default: no data set, weights file or checkpoint of a
// digit classifier comes near it, and it keeps a wrong path (a disk image, /dev/zero) harmless.
constexpr std::size_t kMaxFileBytes = std::size_t(1) << 30;

// Reads a whole regular file. Throws Error with the path and the reason: missing, unreadable, a
// directory, a device or pipe (refused without blocking), or larger than max_bytes (refused
// before allocating).
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_bytes = kMaxFileBytes);
void write_file_atomic(const std::string& path, const std::uint8_t* data, std::size_t size);
inline void write_file_atomic(const std::string& path, const std::string& text) {
    write_file_atomic(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}
// Throws Error, naming the path and the reason, unless write_file_atomic(path, ...) can succeed
// as far as can be told now: path must not be a directory or a device, and a temporary file must
// be creatable beside it (created and removed). For long jobs, to fail before the work.
void check_writable(const std::string& path);

// Decompresses gzip data if it starts with the gzip magic, else returns it unchanged. Several
// concatenated gzip members (as `cat a.gz b.gz` makes) decompress to their concatenation. Throws
// DataError for corrupt or truncated gzip, trailing bytes that are not gzip, output beyond
// max_bytes (a "gzip bomb" stops there, having allocated no more), or when zlib is not built in.
std::vector<std::uint8_t> maybe_gunzip(std::vector<std::uint8_t> data, const std::string& what,
                                       std::size_t max_bytes = kMaxFileBytes);

}  // namespace cnn
