// Image files in and out: PNG/JPEG/PGM/... to ink (via stb_image), and PNG writing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/image/preprocess.hpp"

namespace tools {

// How an opaque picture becomes ink (a picture with transparent pixels is a canvas drawing and
// always read as strokes on paper).
enum class Cleanup {
    photo,  // cnn::ink_from_photo: illumination, Otsu's threshold, specks dropped (photos and scans)
    plain,  // cnn::ink_from_gray: polarity and median background only (clean digital pictures)
};

struct InkImage {
    cnn::GrayImage ink;          // 1 = ink, 0 = background
    bool dark_on_light = false;  // how the file drew it (paper scan vs MNIST-style)
    bool transparent = false;    // had an alpha channel with transparent pixels
    int specks_dropped = 0;      // photo cleanup: pieces of ink that were not the digit
};

// Reads PNG, JPEG, BMP, GIF or binary PGM/PPM (P5/P6) and converts it to ink with core's shared
// code: a transparent background means a canvas drawing (cnn::ink_from_rgba), anything else is
// a photo or picture of a digit, cleaned up as `cleanup` says (polarity is detected either way).
InkImage read_ink_image(const std::string& path, Cleanup cleanup = Cleanup::photo);

// Writes an 8-bit PNG (channels 1 = gray, 3 = RGB) atomically.
void write_png(const std::string& path, int width, int height, int channels,
               const std::vector<std::uint8_t>& pixels);

}  // namespace tools
