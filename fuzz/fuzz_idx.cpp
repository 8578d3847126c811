#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/idx.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

namespace {
// The real cap is kMaxIdxBytes (1 GiB); a smaller one exercises the same code within the
// fuzzer's memory limit.
constexpr std::size_t kGunzipCap = std::size_t(16) << 20;
}  // namespace

void idx(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> bytes;
    try {
        bytes = cnn::maybe_gunzip(std::vector<std::uint8_t>(data, data + size), "fuzz", kGunzipCap);
    } catch (const cnn::DataError&) {
        return;
    }
    check(bytes.size() <= kGunzipCap, "gunzip output within its cap");

    cnn::IdxImages img;
    bool images_ok = true;
    try {
        img = cnn::parse_idx_images(bytes.data(), bytes.size(), "fuzz");
    } catch (const cnn::DataError&) {
        images_ok = false;
    }
    if (images_ok) {
        check(img.count > 0 && img.rows > 0 && img.cols > 0, "positive image dimensions");
        check(img.pixels.size() == std::size_t(img.count) * img.rows * img.cols, "pixel count");
        check(cnn::encode_idx_images(img) == bytes, "images re-encode to the same bytes");
        const std::vector<std::uint8_t> labels(std::size_t(img.count), 0);
        const cnn::Dataset d =
            cnn::make_dataset(img.count, {img.rows, img.cols, 1}, img.pixels.data(), labels.data());
        for (float v : d.images) check(v >= 0.0f && v <= 1.0f, "dataset pixels in [0, 1]");
    }

    std::vector<std::uint8_t> labels;
    try {
        labels = cnn::parse_idx_labels(bytes.data(), bytes.size(), "fuzz");
    } catch (const cnn::DataError&) {
        return;
    }
    check(!labels.empty(), "labels present");
    check(cnn::encode_idx_labels(labels) == bytes, "labels re-encode to the same bytes");
}

}  // namespace cnn_fuzz
