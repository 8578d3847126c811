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

#include "cnn/dataset.hpp"
#include "digit_set.hpp"

namespace tools {

enum class Half { validation, test };

// "val" / "test".
std::string half_name(Half h);

// Where a set's digits come from.
struct RobustnessSources {
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

// Digits per half of each set.
constexpr int kRobustnessCount = 2000;

}  // namespace tools
