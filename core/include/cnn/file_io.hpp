// Whole-file reads and atomic writes (temp file in the same directory, then rename), so that a
// crash or a full disk never leaves a half-written file in place of a good one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

// Throws Error with the path and the system's reason.
std::vector<std::uint8_t> read_file(const std::string& path);
void write_file_atomic(const std::string& path, const std::uint8_t* data, std::size_t size);
inline void write_file_atomic(const std::string& path, const std::string& text) {
    write_file_atomic(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// Decompresses gzip data if it starts with the gzip magic, else returns it unchanged. Throws
// DataError for corrupt gzip, or when zlib is not built in. Output is capped at max_bytes.
std::vector<std::uint8_t> maybe_gunzip(std::vector<std::uint8_t> data, const std::string& what,
                                       std::size_t max_bytes = std::size_t(1) << 31);

// CRC-32 (IEEE 802.3, as zlib's crc32).
std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace cnn
