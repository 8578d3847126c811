// The checksum of the binary file formats (weights, checkpoints) and of a training run's data.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cnn {

// CRC-32 (IEEE 802.3, as zlib's crc32).
std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace cnn
