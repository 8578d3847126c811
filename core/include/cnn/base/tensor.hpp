// cnn/base/: what every part of the core uses: shapes and tensors (this file), the data set
// container, errors, the seeded RNG, the thread pool, floats as exact text, JSON fields.
//
// Shapes and batch tensors. One layout for the whole core: NHWC, row-major.
// Element (n, y, x, c) of a tensor with per-sample shape {h, w, c} lives at
//   data[((n * h + y) * w + x) * c + c_index].
// Dense activations use {1, 1, features}.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cnn {

// Per-sample shape (height, width, channels); the batch size is kept by Tensor.
struct Shape {
    int h = 1;
    int w = 1;
    int c = 1;

    std::size_t size() const { return std::size_t(h) * std::size_t(w) * std::size_t(c); }
    bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
    bool operator!=(const Shape& o) const { return !(*this == o); }
    // "28x28x1" for images, "128" for vectors.
    std::string str() const;
};

// A batch of n samples of one shape, stored contiguously (NHWC).
class Tensor {
public:
    Tensor() = default;
    Tensor(int n, Shape shape) { resize(n, shape); }

    // Changes the logical size; keeps capacity so that a training loop does not reallocate.
    void resize(int n, Shape shape) {
        n_ = n;
        shape_ = shape;
        data_.resize(std::size_t(n) * shape.size());
    }

    int n() const { return n_; }
    const Shape& shape() const { return shape_; }
    std::size_t size() const { return data_.size(); }
    std::size_t sample_size() const { return shape_.size(); }

    float* data() { return data_.data(); }
    const float* data() const { return data_.data(); }
    float* sample(int i) { return data_.data() + std::size_t(i) * shape_.size(); }
    const float* sample(int i) const { return data_.data() + std::size_t(i) * shape_.size(); }
    float& operator[](std::size_t i) { return data_[i]; }
    float operator[](std::size_t i) const { return data_[i]; }
    std::vector<float>& vec() { return data_; }
    const std::vector<float>& vec() const { return data_; }

private:
    int n_ = 0;
    Shape shape_{};
    std::vector<float> data_;  // n * shape.size() floats
};

}  // namespace cnn
