#include "cnn/image/otsu.hpp"

#include <algorithm>
#include <cmath>

namespace cnn {

float otsu_threshold(const float* values, std::size_t n) {
    constexpr int kBins = 256;
    double hist[kBins] = {};
    for (std::size_t i = 0; i < n; ++i) {
        const float v = values[i];
        if (!(v == v)) continue;  // NaN counts nowhere
        hist[std::clamp(int(std::lround(double(v) * (kBins - 1))), 0, kBins - 1)] += 1;
    }
    double total = 0, sum_all = 0;
    for (int b = 0; b < kBins; ++b) {
        total += hist[b];
        sum_all += b * hist[b];
    }
    double w0 = 0, sum0 = 0, best = -1;
    int best_bin = -1;
    for (int b = 0; b < kBins - 1; ++b) {
        w0 += hist[b];
        sum0 += b * hist[b];
        const double w1 = total - w0;
        if (w0 <= 0 || w1 <= 0) continue;
        const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
        const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) {
            best = between;
            best_bin = b;
        }
    }
    if (best_bin < 0) return 0.5f;
    // Halfway between the last bin of the lower class and the first of the upper one.
    return float((best_bin + 0.5) / (kBins - 1));
}

}  // namespace cnn
