// IDX files (the MNIST format): unsigned-byte images (magic 0x00000803) and labels (0x00000801),
// plain or gzip-compressed (natively; in the browser the page decompresses first).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"

namespace cnn {

struct IdxImages {
    int count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols
};

// Largest IDX file accepted, compressed or after decompression: 1 GiB holds 1.3 million 28x28
// images (MNIST's 60,000 are 47 MB; EMNIST's largest set 550 MB).
constexpr std::size_t kMaxIdxBytes = std::size_t(1) << 30;

// Parse from memory. `what` names the source in error messages. Checks magic, type, number of
// dimensions, zero/huge dimensions and that the payload is exactly as long as declared.
IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& what);
std::vector<std::uint8_t> parse_idx_labels(const std::uint8_t* data, std::size_t size,
                                           const std::string& what);
// The same, taking over the file's buffer for the pixels (no second copy of a large file).
IdxImages parse_idx_images(std::vector<std::uint8_t>&& data, const std::string& what);

// Read from a file; a gzip file (by its magic bytes) is decompressed first when zlib is available.
// Files and decompressed data beyond kMaxIdxBytes are refused.
IdxImages read_idx_images(const std::string& path);
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

// Images + labels files into a Dataset (28x28 for MNIST; any rows x cols works).
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         int classes = 10, PixelStorage storage = PixelStorage::Floats);
// The same from the two files' bytes, kept as bytes; `what` names the pair ("training", "test").
Dataset decode_idx_dataset(std::vector<std::uint8_t>&& images, const std::vector<std::uint8_t>& labels,
                           const std::string& what, int classes = 10);

// Encoders, for tests and tools. Writes are atomic.
// Throws DataError if the pixels are not count * rows * cols.
std::vector<std::uint8_t> encode_idx_images(const IdxImages& images);
std::vector<std::uint8_t> encode_idx_labels(const std::vector<std::uint8_t>& labels);
void write_idx_images(const std::string& path, const IdxImages& images);
void write_idx_labels(const std::string& path, const std::vector<std::uint8_t>& labels);

}  // namespace cnn
