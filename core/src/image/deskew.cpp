#include "cnn/image/deskew.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

double mass_of(float v) {
    return std::isfinite(v) && v > 0 ? double(v) : 0.0;
}
double finite_or_zero(float v) {
    return std::isfinite(v) ? double(v) : 0.0;
}

void check_size(const float* pixels, int width, int height) {
    if (!pixels || width <= 0 || height <= 0)
        throw Error("deskew: image is " + std::to_string(width) + "x" + std::to_string(height));
}

}  // namespace

Moments image_moments(const float* pixels, int width, int height) {
    check_size(pixels, width, height);
    Moments m;
    double sx = 0, sy = 0;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double v = mass_of(pixels[std::size_t(y) * width + x]);
            m.mass += v;
            sx += v * x;
            sy += v * y;
        }
    if (m.mass <= 0) return m;
    m.cx = sx / m.mass;
    m.cy = sy / m.mass;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double v = mass_of(pixels[std::size_t(y) * width + x]);
            const double dx = x - m.cx, dy = y - m.cy;
            m.var_x += v * dx * dx;
            m.var_y += v * dy * dy;
            m.cov_xy += v * dx * dy;
        }
    m.var_x /= m.mass;
    m.var_y /= m.mass;
    m.cov_xy /= m.mass;
    return m;
}

double skew(const float* pixels, int width, int height) {
    const Moments m = image_moments(pixels, width, height);
    if (m.mass <= 0 || m.var_y < 1e-9) return 0.0;
    return m.cov_xy / m.var_y;
}

std::vector<float> deskew(const float* pixels, int width, int height, double max_shear) {
    const Moments m = image_moments(pixels, width, height);
    std::vector<float> out(pixels, pixels + std::size_t(width) * height);
    if (m.mass <= 0 || m.var_y < 1e-9) return out;
    const double alpha = std::clamp(m.cov_xy / m.var_y, -max_shear, max_shear);
    // Output (x, y) takes the input at (x + alpha (y - cy), y): a stroke x = x0 + alpha y becomes
    // vertical and the centre of mass stays where it was.
    for (int y = 0; y < height; ++y) {
        const double shift = alpha * (y - m.cy);
        const float* row = pixels + std::size_t(y) * width;
        float* dst = out.data() + std::size_t(y) * width;
        for (int x = 0; x < width; ++x) {
            const double sx = x + shift;
            const double fx = std::floor(sx);
            if (!(fx >= -1 && fx < width)) {
                dst[x] = 0.0f;
                continue;
            }
            const int x0 = int(fx);
            const double t = sx - fx;
            const double a = x0 >= 0 ? finite_or_zero(row[x0]) : 0.0;
            const double b = x0 + 1 < width ? finite_or_zero(row[x0 + 1]) : 0.0;
            dst[x] = float(a * (1 - t) + b * t);
        }
    }
    return out;
}

}  // namespace cnn
