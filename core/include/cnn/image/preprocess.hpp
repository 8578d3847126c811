// cnn/image/: images to the network's 28x28 input: drawings (this file), photos, deskewing, and
// pens, skeletons and style shifts that redraw digits for augmentation.
//
// Drawn digits to the MNIST distribution. MNIST digits were size-normalised to fit a 20x20 box
// (aspect kept, anti-aliased) and centred by centre of mass in a 28x28 field, white ink on black.
// A drawing must go through the same steps or the network sees a different distribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cnn {

// A grayscale image, row-major, values in [0, 1], 1 = ink.
struct GrayImage {
    int width = 0, height = 0;
    std::vector<float> pixels;  // width * height

    float at(int x, int y) const { return pixels[std::size_t(y) * width + x]; }
};

// Largest drawing accepted (a 4K canvas at 2x pixel density fits): width and height at most
// kMaxDrawingSide, and at most kMaxDrawingPixels pixels in all.
constexpr int kMaxDrawingSide = 16384;
constexpr std::size_t kMaxDrawingPixels = std::size_t(1) << 26;

struct PreprocessOptions {
    int size = 28;                // output side, 1..1024
    int box = 20;                 // longest side of the ink after scaling, 1..size
    float ink_threshold = 0.05f;  // pixels at or below this fraction of the maximum are background, [0, 1)
};

struct Preprocessed {
    bool empty = true;          // no ink: "draw a digit", never a guess
    std::vector<float> pixels;  // size * size, [0, 1], white ink on black
    int size = 28;
};

// Crop to the ink's bounding box, scale to fit box x box keeping the aspect ratio (area
// averaging when shrinking, bilinear when enlarging), centre by centre of mass in size x size.
// NaN and negative pixels count as background, values above 1 as 1. Throws Error for an image
// whose pixel count does not match its size, one beyond the limits above, or bad options.
Preprocessed preprocess_digit(const GrayImage& ink, const PreprocessOptions& options = {});

// MNIST's proportions for a size x size output: the ink's box is 20/28 of the side (at least 1).
PreprocessOptions mnist_options(int size);

// Canvas RGBA to ink. The canvas is drawn dark on light (or on transparent): ink = 1 - luminance,
// with transparent pixels treated as background. rgba must hold width * height * 4 bytes; sizes
// beyond the limits above are refused.
GrayImage ink_from_rgba(const std::uint8_t* rgba, int width, int height);

// Throws Error unless `bytes` is width x height RGBA pixels (4 bytes each), width and height >= 1.
void check_rgba_size(std::size_t bytes, int width, int height);

// The ink of one RGBA pixel on white paper: 1 - luminance (Rec. 601 weights), times its alpha.
inline float rgba_ink(const std::uint8_t* p) {
    const float lum = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
    return (1.0f - lum) * (p[3] / 255.0f);
}

// Centre of mass (x, y) of an image; (-1, -1) if it has no mass.
void centre_of_mass(const GrayImage& img, double& cx, double& cy);

}  // namespace cnn
