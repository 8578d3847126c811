#include "cnn/layers/padding.hpp"

#include <algorithm>

namespace cnn {

std::string padding_name(Padding p) { return p == Padding::Same ? "same" : "valid"; }

WindowAxis window_axis(int in, int kernel, int stride, Padding padding) {
    WindowAxis a;
    if (padding == Padding::Same) {
        a.out = (in + stride - 1) / stride;
        const int total = std::max((a.out - 1) * stride + kernel - in, 0);
        a.pad_before = total / 2;  // TensorFlow puts the extra row/column at the bottom/right
    } else {
        a.out = in >= kernel ? (in - kernel) / stride + 1 : 0;
        a.pad_before = 0;
    }
    return a;
}

}  // namespace cnn
