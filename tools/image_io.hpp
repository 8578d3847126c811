// Image files in and out: PNG/JPEG/PGM/... to ink (via stb_image), and PNG writing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/preprocess.hpp"

namespace tools {

struct InkImage {
    cnn::GrayImage ink;          // 1 = ink, 0 = background
    bool dark_on_light = false;  // how the file drew it (paper scan vs MNIST-style)
    bool transparent = false;    // had an alpha channel with transparent pixels
};

// Reads PNG, JPEG, BMP, GIF or binary PGM/PPM (P5/P6) and converts it to ink with the right
// polarity: a transparent background means a canvas drawing (ink = opaque dark strokes);
// otherwise mean luminance > 0.5 means dark ink on light paper, else white ink on black.
InkImage read_ink_image(const std::string& path);

// Writes an 8-bit PNG (channels 1 = gray, 3 = RGB) atomically.
void write_png(const std::string& path, int width, int height, int channels,
               const std::vector<std::uint8_t>& pixels);

}  // namespace tools
