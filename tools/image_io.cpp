#include "image_io.hpp"

#include <algorithm>
#include <memory>

#include <stb_image.h>
#include <stb_image_write.h>

#include "cnn/error.hpp"
#include "cnn/file_io.hpp"

namespace tools {

namespace {

// Refuse images whose decoded size would be absurd (a 16k x 16k photo is already 1 GiB RGBA).
constexpr long long kMaxPixels = 64ll << 20;

}  // namespace

InkImage read_ink_image(const std::string& path) {
    const std::vector<std::uint8_t> bytes = cnn::read_file(path);
    if (bytes.empty()) throw cnn::Error("image '" + path + "' is an empty file");
    if (bytes.size() > std::size_t(1) << 31) throw cnn::Error("image '" + path + "' is too large");
    int w = 0, h = 0, channels = 0;
    if (stbi_info_from_memory(bytes.data(), int(bytes.size()), &w, &h, &channels) &&
        (long long)w * h > kMaxPixels)
        throw cnn::Error("image '" + path + "' is " + std::to_string(w) + "x" + std::to_string(h) +
                         " pixels; scale it down (a digit needs no more than a few hundred pixels a side)");
    std::unique_ptr<stbi_uc, void (*)(void*)> rgba(
        stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &channels, 4), stbi_image_free);
    if (!rgba)
        throw cnn::Error("cannot decode image '" + path + "': " + stbi_failure_reason() +
                         " (supported: PNG, JPEG, BMP, GIF, binary PGM/PPM)");

    const std::size_t n = std::size_t(w) * h;
    const stbi_uc* px = rgba.get();
    InkImage out;
    for (std::size_t i = 0; i < n && (channels == 2 || channels == 4); ++i)
        if (px[4 * i + 3] < 255) {
            out.transparent = true;
            break;
        }
    if (out.transparent) {
        // A canvas export: strokes on a transparent background, the page's convention.
        out.ink = cnn::ink_from_rgba(px, w, h);
        out.dark_on_light = true;
        return out;
    }
    out.ink.width = w;
    out.ink.height = h;
    out.ink.pixels.resize(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float lum = (0.299f * px[4 * i] + 0.587f * px[4 * i + 1] + 0.114f * px[4 * i + 2]) / 255.0f;
        out.ink.pixels[i] = lum;
        sum += lum;
    }
    out.dark_on_light = sum / double(n) > 0.5;
    if (out.dark_on_light)
        for (float& v : out.ink.pixels) v = 1.0f - v;
    // Photographed or scanned paper is rarely pure white: take the median (the background, since
    // a digit covers well under half of the picture) as zero ink, so that grey paper does not
    // count as a faint stroke everywhere.
    std::vector<float> sorted = out.ink.pixels;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const float background = sorted[sorted.size() / 2];
    if (background > 0.0f && background < 1.0f)
        for (float& v : out.ink.pixels) v = std::max(0.0f, v - background) / (1.0f - background);
    return out;
}

void write_png(const std::string& path, int width, int height, int channels,
               const std::vector<std::uint8_t>& pixels) {
    if (pixels.size() != std::size_t(width) * height * channels)
        throw cnn::Error("write_png: pixel buffer does not match the image size");
    std::vector<std::uint8_t> encoded;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out->insert(out->end(), bytes, bytes + size);
    };
    if (!stbi_write_png_to_func(append, &encoded, width, height, channels, pixels.data(), width * channels))
        throw cnn::Error("cannot encode PNG for '" + path + "'");
    cnn::write_file_atomic(path, encoded.data(), encoded.size());
}

}  // namespace tools
