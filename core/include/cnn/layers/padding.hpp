// Output sizes and padding for convolution and pooling windows, following Keras/TensorFlow.
#pragma once

#include <string>

namespace cnn {

enum class Padding { Valid, Same };

std::string padding_name(Padding p);

// One spatial axis of a sliding window: output size and the padding before the first element.
// "same": out = ceil(in / stride), total padding max((out-1)*stride + k - in, 0), with the smaller
// half before (top/left), as TensorFlow does for even kernels. "valid": out = (in - k)/stride + 1.
struct WindowAxis {
    int out = 0;
    int pad_before = 0;
};
WindowAxis window_axis(int in, int kernel, int stride, Padding padding);

}  // namespace cnn
