// A generated set of labelled 28x28 digits (already through the page's preprocessing), with an
// optional group per sample (font, writing style) for reporting by group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/image/preprocess.hpp"

namespace tools {

struct DigitSet {
    std::vector<float> images;          // n * 784, [0, 1], white ink on black
    std::vector<std::uint8_t> labels;   // n
    std::vector<std::string> groups;    // group names; empty if the set has no groups
    std::vector<int> group;             // n indices into groups (empty if no groups)

    int size() const { return int(labels.size()); }
    // Appends one preprocessed 28x28 digit; throws cnn::Error if it is empty or not 28x28.
    void add(const cnn::Preprocessed& p, int label, int group_index = -1);
    // Index of a group name, added if new.
    int group_index(const std::string& name);
    // As a data set of floats (copies).
    cnn::Dataset dataset() const;
    // Mean ink per pixel (MNIST's training images: 0.1307; test: 0.1325).
    double mean_ink() const;
};

// Writes the set as an IDX pair (pixels rounded to bytes): <dir>/<name>-images-idx3-ubyte and
// <dir>/<name>-labels-idx1-ubyte, atomically. Returns the two paths.
std::vector<std::string> write_digit_set(const DigitSet& set, const std::string& dir, const std::string& name);

}  // namespace tools
