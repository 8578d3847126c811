#include "cnn/base/float_text.hpp"

#include <cstdio>
#include <cstdlib>

namespace cnn {

std::string float_text(float v) {
    char buf[32];
    for (int digits = 6; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
        if (std::strtof(buf, nullptr) == v) break;  // 9 digits always suffice for a float
    }
    return buf;
}

}  // namespace cnn
