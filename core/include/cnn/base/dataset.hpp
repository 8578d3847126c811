// In-memory labelled image data: pixels scaled to [0, 1], one label (0..classes-1) per image.
#pragma once

#include <cstdint>
#include <vector>

#include "cnn/base/tensor.hpp"

namespace cnn {

// Pixels are held either as floats in [0, 1] (`images`) or, in a quarter of the memory, as the
// bytes 0..255 they came from (`pixels`, read as byte / 255.0f: the very floats make_dataset would
// have stored, so training and evaluation give identical results either way).
struct Dataset {
    int n = 0;
    Shape shape{28, 28, 1};
    std::vector<float> images;         // n * shape.size(), NHWC; empty when held as bytes
    std::vector<std::uint8_t> pixels;  // n * shape.size(), NHWC, when held as bytes; else empty
    std::vector<std::uint8_t> labels;  // n, each in 0..classes-1
    // How many classes the labels are drawn from (not all need occur): a model trained on the
    // data must output exactly this many scores (Trainer checks).
    int classes = 10;

    bool holds_bytes() const { return images.empty() && !pixels.empty(); }
    // Image i as floats; float storage only (throws Error otherwise: use copy_images).
    const float* image(int i) const;
    // Images [first, first + count) as floats into out (count * shape.size() values).
    void copy_images(int first, int count, float* out) const;
};

enum class PixelStorage { Floats, Bytes };

// Images 0..255 to [0, 1], with `classes` classes; throws DataError if a label >= classes.
Dataset make_dataset(int n, Shape shape, const std::uint8_t* pixels, const std::uint8_t* labels,
                     int classes = 10);
// Byte storage that takes over `pixels` (n * shape.size() bytes) without copying them; throws
// DataError if the sizes disagree or a label >= classes.
Dataset make_byte_dataset(Shape shape, std::vector<std::uint8_t> pixels, std::vector<std::uint8_t> labels,
                          int classes = 10);

// The rows of a followed by the rows of b, with the larger class count of the two (digits joined
// with "not a digit" samples have 11). Throws DataError if their shapes or storage differ.
Dataset concat(const Dataset& a, const Dataset& b);

// Rows [begin, begin + count), in the same storage and with the same class count.
Dataset slice(const Dataset& d, int begin, int count);

// Keras validation_split: the last `fraction` of the samples (before any shuffling) become the
// validation set. Returns {train, validation}.
// Throws Error for a fraction outside [0, 1) or one that leaves no training sample.
std::pair<Dataset, Dataset> split_validation(const Dataset& d, double fraction);

// The first `size` samples (0: all of them) split as split_validation does: what the page's
// training-set size and the CLI's --limit mean. Throws Error for a size outside [0, d.n].
std::pair<Dataset, Dataset> split_first(const Dataset& d, int size, double fraction);

// The samples at `indices`, in that order, in the same storage. Throws Error naming an index
// outside [0, d.n).
Dataset gather(const Dataset& d, const std::vector<int>& indices);

// Copies the samples at `indices` into a batch tensor and label vector (no reallocation when the
// batch does not grow).
void gather_batch(const Dataset& d, const int* indices, int count, Tensor& x,
                  std::vector<std::uint8_t>& y);

}  // namespace cnn
