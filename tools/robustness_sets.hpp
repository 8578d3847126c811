// The robustness sets: digits that are not MNIST as it was written, made reproducibly from apt
// sources (Hershey stroke fonts, Debian's handwriting fonts) and from MNIST digits redrawn or
// restyled the way people draw on the page. Each set has a validation half, for choosing models
// and settings, and a test half, for reporting only. The MNIST-derived validation halves come from
// MNIST's training file (its last 6,000 images: the validation split training holds out), the test
// halves from MNIST's test file, so nothing chosen on a validation half has seen a test digit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/rng.hpp"
#include "digit_set.hpp"

namespace tools {

// Where a set's samples come from: validation and test halves for every set; the negative sets
// (negative_sets.hpp) also have a training part, for models with a "not a digit" output.
enum class Half { validation, test, train };

// "val" / "test" / "train".
std::string half_name(Half h);

// Where a set's digits come from.
struct RobustnessSources {
    cnn::Dataset mnist_train;       // MNIST train, first 54,000 (what training sees)
    cnn::Dataset mnist_validation;  // MNIST train, last 6,000 (the held-out validation split)
    cnn::Dataset mnist_test;        // MNIST test
    std::string hershey_dir = "/usr/share/hershey-fonts";
    std::string font_root = "/usr/share/fonts";
};

struct RobustnessSet {
    std::string name;
    std::string what;  // one line for reports
    std::function<DigitSet(const RobustnessSources&, Half, int count)> make;
};

// Every set, in report order: hershey, fonts, pen-thin, pen-medium, pen-thick, thin, thick,
// slant, corner, stray, conventions.
const std::vector<RobustnessSet>& robustness_sets();

// The MNIST digits a half is made from; throws cnn::Error if they were not loaded.
const cnn::Dataset& mnist_source(const RobustnessSources& s, Half h);

// One generator per (set seed, half, sample): any sample can be remade alone, and halves differ.
cnn::Rng sample_rng(std::uint64_t set_seed, Half h, int i);

// Digits per half of each set.
constexpr int kRobustnessCount = 2000;

}  // namespace tools
