#include "cnn/io/idx.hpp"

#include <limits>

#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"

namespace cnn {

namespace {

std::uint32_t read_be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(std::uint8_t(v >> s));
}

// Checks the 4-byte magic (0, 0, type 0x08 = unsigned byte, rank) and returns the dimensions.
std::vector<std::uint32_t> parse_header(const std::uint8_t* data, std::size_t size, int rank,
                                        const std::string& what, const char* kind) {
    const std::size_t header = 4 + 4 * std::size_t(rank);
    if (size < 4)
        throw DataError(what + ": file is " + std::to_string(size) + " bytes long, too short for an IDX header");
    if (data[0] != 0 || data[1] != 0)
        throw DataError(what + ": not an IDX file (bad magic number; is it gzip data in a build without zlib, or another format?)");
    if (data[2] != 0x08)
        throw DataError(what + ": IDX element type " + std::to_string(data[2]) +
                        " is not supported (only unsigned bytes, type 8)");
    if (data[3] != rank)
        throw DataError(what + ": IDX file has " + std::to_string(data[3]) + " dimensions; " + kind +
                        " files have " + std::to_string(rank) + " (wrong file?)");
    if (size < header)
        throw DataError(what + ": IDX header truncated at byte " + std::to_string(size) + " of " +
                        std::to_string(header));
    std::vector<std::uint32_t> dims(rank);
    for (int i = 0; i < rank; ++i) dims[i] = read_be32(data + 4 + 4 * i);
    return dims;
}

void check_payload(std::size_t size, std::size_t header, std::uint64_t expected, const std::string& what,
                   const std::string& declared) {
    const std::uint64_t have = size - header;
    if (have < expected)
        throw DataError(what + ": truncated: header declares " + declared + " (" + std::to_string(expected) +
                        " bytes) but only " + std::to_string(have) + " bytes follow");
    if (have > expected)
        throw DataError(what + ": " + std::to_string(have - expected) +
                        " unexpected bytes after the " + declared + " the header declares");
}

}  // namespace

namespace {

// Checks an image file's header and size; returns the image set without its pixels.
IdxImages image_header(const std::uint8_t* data, std::size_t size, const std::string& what) {
    const auto d = parse_header(data, size, 3, what, "image");
    if (d[0] == 0 || d[1] == 0 || d[2] == 0)
        throw DataError(what + ": IDX header declares an empty image set (" + std::to_string(d[0]) + " x " +
                        std::to_string(d[1]) + " x " + std::to_string(d[2]) + ")");
    if (d[1] > 4096 || d[2] > 4096)
        throw DataError(what + ": image size " + std::to_string(d[1]) + "x" + std::to_string(d[2]) +
                        " is larger than 4096x4096");
    // 64-bit product: 2^32 * 2^12 * 2^12 cannot overflow.
    const std::uint64_t expected = std::uint64_t(d[0]) * d[1] * d[2];
    check_payload(size, 16, expected, what,
                  std::to_string(d[0]) + " images of " + std::to_string(d[1]) + "x" + std::to_string(d[2]));
    // Only reachable with more than 2 GB of pixels in memory, but counts are ints from here on.
    if (d[0] > std::uint32_t(std::numeric_limits<int>::max()))
        throw DataError(what + ": " + std::to_string(d[0]) + " images are more than this program handles");
    IdxImages img;
    img.count = int(d[0]);
    img.rows = int(d[1]);
    img.cols = int(d[2]);
    return img;
}

}  // namespace

IdxImages parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& what) {
    IdxImages img = image_header(data, size, what);
    img.pixels.assign(data + 16, data + size);
    return img;
}

IdxImages parse_idx_images(std::vector<std::uint8_t>&& data, const std::string& what) {
    IdxImages img = image_header(data.data(), data.size(), what);
    data.erase(data.begin(), data.begin() + 16);
    img.pixels = std::move(data);
    return img;
}

std::vector<std::uint8_t> parse_idx_labels(const std::uint8_t* data, std::size_t size,
                                           const std::string& what) {
    const auto d = parse_header(data, size, 1, what, "label");
    if (d[0] == 0) throw DataError(what + ": IDX header declares no labels");
    check_payload(size, 8, d[0], what, std::to_string(d[0]) + " labels");
    if (d[0] > std::uint32_t(std::numeric_limits<int>::max()))
        throw DataError(what + ": " + std::to_string(d[0]) + " labels are more than this program handles");
    return {data + 8, data + size};
}

IdxImages read_idx_images(const std::string& path) {
    const auto data = maybe_gunzip(read_file(path, kMaxIdxBytes), path, kMaxIdxBytes);
    return parse_idx_images(data.data(), data.size(), path);
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
    const auto data = maybe_gunzip(read_file(path, kMaxIdxBytes), path, kMaxIdxBytes);
    return parse_idx_labels(data.data(), data.size(), path);
}

namespace {

Dataset labelled(IdxImages img, std::vector<std::uint8_t> labels, const std::string& images_name,
                 const std::string& labels_name, int classes, PixelStorage storage) {
    if (std::size_t(img.count) != labels.size())
        throw DataError(images_name + " has " + std::to_string(img.count) + " images but " + labels_name + " has " +
                        std::to_string(labels.size()) + " labels");
    const Shape shape{img.rows, img.cols, 1};
    if (storage == PixelStorage::Bytes) return make_byte_dataset(shape, std::move(img.pixels), std::move(labels), classes);
    return make_dataset(img.count, shape, img.pixels.data(), labels.data(), classes);
}

}  // namespace

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path, int classes,
                         PixelStorage storage) {
    return labelled(read_idx_images(images_path), read_idx_labels(labels_path), "'" + images_path + "'",
                    "'" + labels_path + "'", classes, storage);
}

Dataset decode_idx_dataset(std::vector<std::uint8_t>&& images, const std::vector<std::uint8_t>& labels,
                           const std::string& what, int classes) {
    return labelled(parse_idx_images(std::move(images), what + " images"),
                    parse_idx_labels(labels.data(), labels.size(), what + " labels"), "the " + what + " images file",
                    "its labels file", classes, PixelStorage::Bytes);
}

std::vector<std::uint8_t> encode_idx_images(const IdxImages& images) {
    if (images.count < 0 || images.rows < 1 || images.cols < 1 ||
        images.pixels.size() != std::size_t(images.count) * std::size_t(images.rows) * std::size_t(images.cols))
        throw DataError("IDX images: " + std::to_string(images.count) + " images of " + std::to_string(images.rows) +
                        "x" + std::to_string(images.cols) + " need that many pixels, not " +
                        std::to_string(images.pixels.size()));
    std::vector<std::uint8_t> out{0, 0, 0x08, 3};
    put_be32(out, std::uint32_t(images.count));
    put_be32(out, std::uint32_t(images.rows));
    put_be32(out, std::uint32_t(images.cols));
    out.insert(out.end(), images.pixels.begin(), images.pixels.end());
    return out;
}

std::vector<std::uint8_t> encode_idx_labels(const std::vector<std::uint8_t>& labels) {
    std::vector<std::uint8_t> out{0, 0, 0x08, 1};
    put_be32(out, std::uint32_t(labels.size()));
    out.insert(out.end(), labels.begin(), labels.end());
    return out;
}

void write_idx_images(const std::string& path, const IdxImages& images) {
    const auto bytes = encode_idx_images(images);
    write_file_atomic(path, bytes.data(), bytes.size());
}

void write_idx_labels(const std::string& path, const std::vector<std::uint8_t>& labels) {
    const auto bytes = encode_idx_labels(labels);
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace cnn
