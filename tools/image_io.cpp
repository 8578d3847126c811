#include "image_io.hpp"

#include <memory>

#include <stb_image.h>
#include <stb_image_write.h>

#include "cnn/base/error.hpp"
#include "cnn/image/photo.hpp"
#include "cnn/io/file_io.hpp"

namespace tools {

namespace {

// Refuse images whose decoded size would be absurd (a 16k x 16k photo is already 1 GiB RGBA).
constexpr long long kMaxPixels = 64ll << 20;

}  // namespace

InkImage read_ink_image(const std::string& path, Cleanup cleanup) {
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
    try {
        if (out.transparent) {
            // A canvas export: strokes on a transparent background, the page's convention.
            out.ink = cnn::ink_from_rgba(px, w, h);
            out.dark_on_light = true;
            return out;
        }
        const cnn::GrayImage luminance = cnn::luminance_from_rgba(px, w, h);
        if (cleanup == Cleanup::plain) {
            out.ink = cnn::ink_from_gray(luminance, &out.dark_on_light);
            return out;
        }
        cnn::PhotoInk photo = cnn::ink_from_photo(luminance);
        out.ink = std::move(photo.ink);
        out.dark_on_light = photo.dark_on_light;
        out.specks_dropped = photo.components_dropped;
        return out;
    } catch (const cnn::Error& e) {
        throw cnn::Error("image '" + path + "': " + e.what());
    }
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
