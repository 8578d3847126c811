// In-memory labelled image data: pixels scaled to [0, 1], one label (0..classes-1) per image.
#pragma once

#include <cstdint>
#include <vector>

#include "cnn/tensor.hpp"

namespace cnn {

struct Dataset {
    int n = 0;
    Shape shape{28, 28, 1};
    std::vector<float> images;         // n * shape.size(), NHWC
    std::vector<std::uint8_t> labels;  // n

    const float* image(int i) const { return images.data() + std::size_t(i) * shape.size(); }
};

// Images 0..255 to [0, 1]; throws DataError if the counts disagree or a label >= classes.
Dataset make_dataset(int n, Shape shape, const std::uint8_t* pixels, const std::uint8_t* labels,
                     int classes = 10);

// Rows [begin, begin + count).
Dataset slice(const Dataset& d, int begin, int count);

// Keras validation_split: the last `fraction` of the samples (before any shuffling) become the
// validation set. Returns {train, validation}.
std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction);

// Copies the samples at `indices` into a batch tensor and label vector (no reallocation when the
// batch does not grow).
void gather_batch(const Dataset& d, const int* indices, int count, Tensor& x,
                  std::vector<std::uint8_t>& y);

}  // namespace cnn
