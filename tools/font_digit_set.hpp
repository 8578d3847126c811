// A synthetic set of handwriting-font digits in MNIST's form: each digit rendered from a font
// with a random slant, rotation, stretch, size and stroke weight, then preprocessed exactly like a
// drawing on the page (cnn::preprocess_digit), so a model sees them as it would see a user's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tools {

// `count` digits of 28x28 pixels, white ink on black.
struct FontDigitSet {
    int count = 0;
    std::vector<float> pixels;          // count * 28 * 28, [0, 1], row-major per image
    std::vector<std::uint8_t> labels;   // count; sample i is digit i % 10
    std::vector<int> font_index;        // count; index into the font_files that made the set
};

// Renders `count` digits from `font_files` (a font chosen at random per sample). Sample i depends
// only on `seed` and i, so a larger count extends a set without changing its start. Throws
// cnn::Error if the list is empty, a font cannot be loaded or lacks a digit.
FontDigitSet make_font_digits(const std::vector<std::string>& font_files, int count, std::uint64_t seed);

}  // namespace tools
