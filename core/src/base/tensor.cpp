#include "cnn/base/tensor.hpp"

namespace cnn {

std::string Shape::str() const {
    if (h == 1 && w == 1) return std::to_string(c);
    return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c);
}

}  // namespace cnn
