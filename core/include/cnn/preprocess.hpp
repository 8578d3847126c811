// Drawn digits to the MNIST distribution. MNIST digits were size-normalised to fit a 20x20 box
// (aspect kept, anti-aliased) and centred by centre of mass in a 28x28 field, white ink on black.
// A drawing must go through the same steps or the network sees a different distribution.
#pragma once

#include <cstdint>
#include <vector>

namespace cnn {

// A grayscale image, row-major, values in [0, 1], 1 = ink.
struct GrayImage {
    int width = 0, height = 0;
    std::vector<float> pixels;  // width * height

    float at(int x, int y) const { return pixels[std::size_t(y) * width + x]; }
};

struct PreprocessOptions {
    int size = 28;                // output side
    int box = 20;                 // longest side of the ink after scaling
    float ink_threshold = 0.05f;  // pixels at or below this fraction of the maximum are background
};

struct Preprocessed {
    bool empty = true;          // no ink: "draw a digit", never a guess
    std::vector<float> pixels;  // size * size, [0, 1], white ink on black
    int size = 28;
};

// Crop to the ink's bounding box, scale to fit box x box keeping the aspect ratio (area
// averaging when shrinking, bilinear when enlarging), centre by centre of mass in size x size.
Preprocessed preprocess_digit(const GrayImage& ink, const PreprocessOptions& options = {});

// Canvas RGBA to ink. The canvas is drawn dark on light (or on transparent): ink = 1 - luminance,
// with transparent pixels treated as background.
GrayImage ink_from_rgba(const std::uint8_t* rgba, int width, int height);

// Centre of mass (x, y) of an image; (-1, -1) if it has no mass.
void centre_of_mass(const GrayImage& img, double& cx, double& cy);

}  // namespace cnn
