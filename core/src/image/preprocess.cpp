#include "cnn/image/preprocess.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

// Resamples src (sw x sh) to dw x dh. Shrinking averages the source area under each output
// pixel (anti-aliasing, as MNIST's normalisation did); enlarging interpolates bilinearly.
std::vector<float> resample(const std::vector<float>& src, int sw, int sh, int dw, int dh) {
    std::vector<float> out(std::size_t(dw) * dh, 0.0f);
    const double sx = double(sw) / dw, sy = double(sh) / dh;
    if (sx >= 1.0 && sy >= 1.0) {
        for (int y = 0; y < dh; ++y) {
            const double y0 = y * sy, y1 = (y + 1) * sy;
            for (int x = 0; x < dw; ++x) {
                const double x0 = x * sx, x1 = (x + 1) * sx;
                double acc = 0;
                for (int iy = int(y0); iy < std::min(sh, int(std::ceil(y1))); ++iy) {
                    const double wy = std::min(y1, iy + 1.0) - std::max(y0, double(iy));
                    for (int ix = int(x0); ix < std::min(sw, int(std::ceil(x1))); ++ix) {
                        const double wx = std::min(x1, ix + 1.0) - std::max(x0, double(ix));
                        acc += wx * wy * src[std::size_t(iy) * sw + ix];
                    }
                }
                out[std::size_t(y) * dw + x] = float(acc / (sx * sy));
            }
        }
        return out;
    }
    // Bilinear with pixel centres aligned (x + 0.5) * scale - 0.5.
    for (int y = 0; y < dh; ++y) {
        const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(sh - 1));
        const int y0 = int(fy), y1 = std::min(y0 + 1, sh - 1);
        const double ty = fy - y0;
        for (int x = 0; x < dw; ++x) {
            const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(sw - 1));
            const int x0 = int(fx), x1 = std::min(x0 + 1, sw - 1);
            const double tx = fx - x0;
            const double top = src[std::size_t(y0) * sw + x0] * (1 - tx) + src[std::size_t(y0) * sw + x1] * tx;
            const double bot = src[std::size_t(y1) * sw + x0] * (1 - tx) + src[std::size_t(y1) * sw + x1] * tx;
            out[std::size_t(y) * dw + x] = float(top * (1 - ty) + bot * ty);
        }
    }
    return out;
}

// In 64 bits first: width * height must not wrap a 32-bit size_t (wasm) before it is compared.
void check_drawing_size(int width, int height) {
    if (width <= 0 || height <= 0)
        throw Error("preprocess: image is " + std::to_string(width) + "x" + std::to_string(height) +
                    " and has no pixels");
    if (width > kMaxDrawingSide || height > kMaxDrawingSide ||
        std::uint64_t(width) * std::uint64_t(height) > kMaxDrawingPixels)
        throw Error("preprocess: image is " + std::to_string(width) + "x" + std::to_string(height) +
                    "; drawings larger than " + std::to_string(kMaxDrawingSide) + " pixels a side or " +
                    std::to_string(kMaxDrawingPixels) + " pixels in all are refused");
}

}  // namespace

void centre_of_mass(const GrayImage& img, double& cx, double& cy) {
    double m = 0, mx = 0, my = 0;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
            const double v = img.at(x, y);
            m += v;
            mx += v * x;
            my += v * y;
        }
    if (m <= 0) {
        cx = cy = -1;
        return;
    }
    cx = mx / m;
    cy = my / m;
}

PreprocessOptions mnist_options(int size) {
    PreprocessOptions o;
    o.size = size;
    o.box = std::max(1, int(std::lround(size * 20.0 / 28.0)));
    return o;
}

Preprocessed preprocess_digit(const GrayImage& ink, const PreprocessOptions& o) {
    check_drawing_size(ink.width, ink.height);
    if (ink.pixels.size() != std::size_t(ink.width) * std::size_t(ink.height))
        throw Error("preprocess: image is " + std::to_string(ink.width) + "x" + std::to_string(ink.height) +
                    " but has " + std::to_string(ink.pixels.size()) + " pixels");
    if (o.size < 1 || o.size > 1024)
        throw Error("preprocess: output size must be between 1 and 1024, got " + std::to_string(o.size));
    if (o.box < 1 || o.box > o.size)
        throw Error("preprocess: box must be between 1 and the output size " + std::to_string(o.size) + ", got " +
                    std::to_string(o.box));
    if (!(o.ink_threshold >= 0.0f && o.ink_threshold < 1.0f))
        throw Error("preprocess: ink threshold must be in [0, 1), got " + std::to_string(o.ink_threshold));
    Preprocessed out;
    out.size = o.size;
    out.pixels.assign(std::size_t(o.size) * o.size, 0.0f);

    // NaN and negative pixels count as background; values above 1 are clipped.
    float peak = 0.0f;
    for (float v : ink.pixels)
        if (v > peak) peak = std::min(v, 1.0f);
    if (!(peak > 0.02f)) return out;  // empty
    const float threshold = o.ink_threshold * peak;
    int x0 = ink.width, y0 = ink.height, x1 = -1, y1 = -1;
    for (int y = 0; y < ink.height; ++y)
        for (int x = 0; x < ink.width; ++x)
            if (ink.at(x, y) > threshold) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    if (x1 < 0) return out;

    const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    std::vector<float> crop(std::size_t(bw) * bh);
    for (int y = 0; y < bh; ++y)
        for (int x = 0; x < bw; ++x) {
            const float v = ink.at(x0 + x, y0 + y);
            crop[std::size_t(y) * bw + x] = v > threshold ? std::min(v, 1.0f) : 0.0f;
        }
    // Longest side to `box` pixels, aspect kept.
    const double scale = double(o.box) / std::max(bw, bh);
    const int dw = std::clamp(int(std::lround(bw * scale)), 1, o.box);
    const int dh = std::clamp(int(std::lround(bh * scale)), 1, o.box);
    GrayImage small{dw, dh, resample(crop, bw, bh, dw, dh)};
    const float small_peak = *std::max_element(small.pixels.begin(), small.pixels.end());
    if (!(small_peak > 0.0f)) return out;
    for (float& v : small.pixels) v = std::min(1.0f, v / small_peak);  // full contrast, like MNIST

    // Integer shift that puts the centre of mass at the centre of the field.
    double cx, cy;
    centre_of_mass(small, cx, cy);
    const double centre = o.size / 2.0 - 0.5;
    const int ox = int(std::lround(centre - cx));
    const int oy = int(std::lround(centre - cy));
    for (int y = 0; y < dh; ++y)
        for (int x = 0; x < dw; ++x) {
            const int tx = x + ox, ty = y + oy;
            if (tx < 0 || ty < 0 || tx >= o.size || ty >= o.size) continue;
            out.pixels[std::size_t(ty) * o.size + tx] = small.at(x, y);
        }
    out.empty = false;
    return out;
}

void check_rgba_size(std::size_t bytes, int width, int height) {
    if (width <= 0 || height <= 0 || bytes != std::size_t(width) * std::size_t(height) * 4)
        throw Error("preprocess: expected " + std::to_string(width) + "x" + std::to_string(height) +
                    " RGBA pixels, got " + std::to_string(bytes) + " bytes");
}

GrayImage ink_from_rgba(const std::uint8_t* rgba, int width, int height) {
    check_drawing_size(width, height);
    GrayImage g;
    g.width = width;
    g.height = height;
    g.pixels.resize(std::size_t(width) * height);
    for (std::size_t i = 0; i < g.pixels.size(); ++i) g.pixels[i] = rgba_ink(rgba + 4 * i);
    return g;
}

}  // namespace cnn
