// Digits of Hershey's stroke fonts drawn like the page's canvas drawings (a round pen on a 280x280
// pad) with varied pen width, slant, rotation, proportions, a hand's wobble and position, through
// the same drawn-digit preprocessing as the page. A set that is not MNIST, made from a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/base/rng.hpp"
#include "cnn/image/preprocess.hpp"
#include "digit_set.hpp"
#include "hershey.hpp"

namespace tools {

// One font per distinct set of digits (see hershey_set.cpp for the choice).
extern const std::vector<std::string> kHersheyDigitFonts;

struct HersheyStyle {
    std::string font_dir = "/usr/share/hershey-fonts";
    std::vector<std::string> fonts = kHersheyDigitFonts;
    int canvas = 280;
    std::vector<float> height = {0.45f, 0.85f};  // digit height range, as fractions of the pad
    std::vector<float> pen = {0.05f, 0.11f};     // pen width range, as fractions of the pad
};

// A Hershey font by name (e.g. "futural") from `dir`. Throws cnn::Error naming the Debian package
// if the file is missing.
std::vector<cnn::HersheyGlyph> load_hershey_font(const std::string& dir, const std::string& name);

// One glyph drawn on a style.canvas-wide pad the way a hand draws it (random slant, rotation,
// proportions, size, pen, wobble and position within the style's ranges). Every random choice
// comes from `rng`.
cnn::GrayImage draw_hershey_glyph(const cnn::HersheyGlyph& glyph, const HersheyStyle& style, cnn::Rng& rng);

// `count` digits (labels cycle 0-9), grouped by font. Image i depends only on (seed, i). Fonts with
// the same digits as an earlier one are used once (a warning names them). Throws cnn::Error for a
// missing font (with the Debian package to install) or bad ranges.
DigitSet make_hershey_digits(const HersheyStyle& style, int count, std::uint64_t seed);

}  // namespace tools
