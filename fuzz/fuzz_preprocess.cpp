#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/image/skeleton.hpp"
#include "targets.hpp"

namespace cnn_fuzz {

// Input: byte 0 picks the pixel format (0: canvas RGBA, 1: gray bytes / 255, 2: raw float bits,
// NaN and infinities included) and whether bytes 3..8 set options; bytes 1, 2 are width - 1 and
// height - 1; pixels follow (missing ones are zero, so that short inputs are whole drawings).
void preprocess(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return;
    const int format = data[0] % 3;
    const bool custom = data[0] & 0x80;
    const int width = data[1] + 1, height = data[2] + 1;
    std::size_t pos = 3;
    cnn::PreprocessOptions o;
    if (custom) {
        if (size < 9) return;
        o.size = data[3];  // 0..255: small outputs keep the fuzzer fast; 0 must be refused
        o.box = data[4];   // sometimes larger than size, or 0
        std::memcpy(&o.ink_threshold, data + 5, 4);
        pos = 9;
    }
    const std::size_t pixels = std::size_t(width) * height;
    const auto byte = [&](std::size_t i) { return pos + i < size ? data[pos + i] : std::uint8_t(0); };

    cnn::GrayImage ink;
    try {
        if (format == 0) {
            std::vector<std::uint8_t> rgba(pixels * 4);
            for (std::size_t i = 0; i < rgba.size(); ++i) rgba[i] = byte(i);
            ink = cnn::ink_from_rgba(rgba.data(), width, height);
            check(ink.width == width && ink.height == height && ink.pixels.size() == pixels, "ink size");
            for (float v : ink.pixels) check(v >= 0.0f && v <= 1.0f, "ink in [0, 1]");
        } else {
            ink = {width, height, std::vector<float>(pixels)};
            for (std::size_t i = 0; i < pixels; ++i) {
                if (format == 1) {
                    ink.pixels[i] = byte(i) / 255.0f;
                } else {
                    const std::uint8_t b[4] = {byte(4 * i), byte(4 * i + 1), byte(4 * i + 2), byte(4 * i + 3)};
                    std::memcpy(&ink.pixels[i], b, 4);
                }
            }
        }
    } catch (const cnn::Error&) {
        return;
    }

    cnn::Preprocessed out;
    try {
        out = cnn::preprocess_digit(ink, o);
    } catch (const cnn::Error&) {
        return;
    }
    check(out.size == o.size && out.pixels.size() == std::size_t(o.size) * o.size, "output size");
    float peak = 0.0f;
    for (float v : out.pixels) {
        check(std::isfinite(v) && v >= 0.0f && v <= 1.0f, "output pixels finite and in [0, 1]");
        peak = std::max(peak, v);
    }
    if (out.empty) check(peak == 0.0f, "an empty result is all background");
    if (!out.empty && !custom) check(peak > 0.0f, "a digit leaves ink in the 28x28 field");
    if (custom) return;

    // The page's drawing path (pen width brought into MNIST's range) and the skeleton tracer.
    try {
        const cnn::Preprocessed d = cnn::preprocess_drawing(ink);
        check(d.pixels.size() == 784 && d.empty == out.empty, "drawing path: same emptiness, 28x28");
        for (float v : d.pixels) check(std::isfinite(v) && v >= 0.0f && v <= 1.0f, "drawing path: pixels in [0, 1]");
        for (const auto& stroke : cnn::skeleton_strokes(ink.pixels.data(), width, height))
            for (const auto& pt : stroke)
                check(pt.x >= -1.0f && pt.y >= -1.0f && pt.x <= width + 1.0f && pt.y <= height + 1.0f,
                      "skeleton points lie on the image");
    } catch (const cnn::Error&) {
    }
}

}  // namespace cnn_fuzz
