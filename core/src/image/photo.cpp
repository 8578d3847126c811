#include "cnn/image/photo.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/image/components.hpp"
#include "cnn/image/otsu.hpp"

namespace cnn {

namespace {

// The drawing limits of preprocess.hpp apply to photos too (in 64 bits, so wasm's 32-bit size_t
// cannot wrap before the comparison).
void check_size(int width, int height, const char* what) {
    if (width <= 0 || height <= 0 || width > kMaxDrawingSide || height > kMaxDrawingSide ||
        std::uint64_t(width) * std::uint64_t(height) > kMaxDrawingPixels)
        throw Error(std::string(what) + ": image is " + std::to_string(width) + "x" + std::to_string(height) +
                    "; photos must have pixels and at most " + std::to_string(kMaxDrawingSide) +
                    " a side (scale it down: a digit needs a few hundred)");
}

void check_image(const GrayImage& g, const char* what) {
    check_size(g.width, g.height, what);
    if (g.pixels.size() != std::size_t(g.width) * std::size_t(g.height))
        throw Error(std::string(what) + ": image is " + std::to_string(g.width) + "x" +
                    std::to_string(g.height) + " but has " + std::to_string(g.pixels.size()) + " pixels");
}

// A working copy with the longer side at most max_side (area averaging, so that noise averages
// out instead of aliasing) and NaN read as white paper, values clamped to [0, 1].
GrayImage shrink_to(const GrayImage& g, int max_side) {
    auto clean = [](float v) { return v == v ? std::clamp(v, 0.0f, 1.0f) : 1.0f; };
    const int side = std::max(g.width, g.height);
    if (max_side <= 0 || side <= max_side) {
        GrayImage out = g;
        for (float& v : out.pixels) v = clean(v);
        return out;
    }
    const double s = double(max_side) / side;
    GrayImage out;
    out.width = std::max(1, int(std::lround(g.width * s)));
    out.height = std::max(1, int(std::lround(g.height * s)));
    out.pixels.resize(std::size_t(out.width) * out.height);
    const double sx = double(g.width) / out.width, sy = double(g.height) / out.height;
    for (int y = 0; y < out.height; ++y) {
        const double y0 = y * sy, y1 = (y + 1) * sy;
        for (int x = 0; x < out.width; ++x) {
            const double x0 = x * sx, x1 = (x + 1) * sx;
            double acc = 0, area = 0;
            for (int iy = int(y0); iy < std::min(g.height, int(std::ceil(y1))); ++iy) {
                const double wy = std::min(y1, iy + 1.0) - std::max(y0, double(iy));
                for (int ix = int(x0); ix < std::min(g.width, int(std::ceil(x1))); ++ix) {
                    const double wx = std::min(x1, ix + 1.0) - std::max(x0, double(ix));
                    acc += wx * wy * clean(g.at(ix, iy));
                    area += wx * wy;
                }
            }
            out.pixels[std::size_t(y) * out.width + x] = float(area > 0 ? acc / area : 1.0);
        }
    }
    return out;
}

// A coarse grid of one statistic per block: the large-scale light falling on the paper, which
// varies slowly, while strokes are thin. One value per bs x bs block (edge blocks are partial).
struct Grid {
    int gw = 0, gh = 0, bs = 1;
    std::vector<float> v;  // gw * gh
    float at(int x, int y) const { return v[std::size_t(y) * gw + x]; }
};

int block_size(int width, int height, int grid) {
    const int side = std::max(width, height);
    return std::max(8, (side + std::max(1, grid) - 1) / std::max(1, grid));
}

float percentile(std::vector<float>& values, float q) {
    const std::size_t k = std::size_t(std::lround(q * double(values.size() - 1)));
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
    return values[k];
}

Grid block_percentile(const GrayImage& g, int bs, float q) {
    Grid r;
    r.bs = bs;
    r.gw = (g.width + bs - 1) / bs;
    r.gh = (g.height + bs - 1) / bs;
    r.v.resize(std::size_t(r.gw) * r.gh);
    std::vector<float> block;
    for (int by = 0; by < r.gh; ++by)
        for (int bx = 0; bx < r.gw; ++bx) {
            block.clear();
            for (int y = by * bs; y < std::min(g.height, (by + 1) * bs); ++y)
                for (int x = bx * bs; x < std::min(g.width, (bx + 1) * bs); ++x) block.push_back(g.at(x, y));
            r.v[std::size_t(by) * r.gw + bx] = percentile(block, q);
        }
    return r;
}

enum class Op { min, max, mean, median };

// Each cell replaced by the statistic of its 3x3 neighbourhood (clipped at the grid's edge).
Grid filter3(const Grid& g, Op op) {
    Grid r = g;
    std::vector<float> nb;
    for (int y = 0; y < g.gh; ++y)
        for (int x = 0; x < g.gw; ++x) {
            nb.clear();
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx >= 0 && ny >= 0 && nx < g.gw && ny < g.gh) nb.push_back(g.at(nx, ny));
                }
            float v = 0;
            switch (op) {
                case Op::min: v = *std::min_element(nb.begin(), nb.end()); break;
                case Op::max: v = *std::max_element(nb.begin(), nb.end()); break;
                case Op::median: v = percentile(nb, 0.5f); break;
                case Op::mean:
                    for (float u : nb) v += u;
                    v /= float(nb.size());
                    break;
            }
            r.v[std::size_t(y) * g.gw + x] = v;
        }
    return r;
}

// Per-pixel values interpolated bilinearly between block centres (constant beyond the outer ones).
std::vector<float> upsample(const Grid& g, int width, int height) {
    std::vector<float> out(std::size_t(width) * height);
    for (int y = 0; y < height; ++y) {
        const double fy = std::clamp((y + 0.5) / g.bs - 0.5, 0.0, double(g.gh - 1));
        const int y0 = int(fy), y1 = std::min(y0 + 1, g.gh - 1);
        const double ty = fy - y0;
        for (int x = 0; x < width; ++x) {
            const double fx = std::clamp((x + 0.5) / g.bs - 0.5, 0.0, double(g.gw - 1));
            const int x0 = int(fx), x1 = std::min(x0 + 1, g.gw - 1);
            const double tx = fx - x0;
            const double top = g.at(x0, y0) * (1 - tx) + g.at(x1, y0) * tx;
            const double bot = g.at(x0, y1) * (1 - tx) + g.at(x1, y1) * tx;
            out[std::size_t(y) * width + x] = float(top * (1 - ty) + bot * ty);
        }
    }
    return out;
}

// Square dilation by r pixels (separable max filter).
std::vector<std::uint8_t> dilate(const std::vector<std::uint8_t>& m, int w, int h, int r) {
    std::vector<std::uint8_t> rows(m.size(), 0), out(m.size(), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (m[std::size_t(y) * w + x])
                for (int u = std::max(0, x - r); u <= std::min(w - 1, x + r); ++u)
                    rows[std::size_t(y) * w + u] = 1;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (rows[std::size_t(y) * w + x])
                for (int v = std::max(0, y - r); v <= std::min(h - 1, y + r); ++v)
                    out[std::size_t(v) * w + x] = 1;
    return out;
}

// Box blur of radius r (separable, edges clamped).
std::vector<float> box_blur(const std::vector<float>& v, int w, int h, int r) {
    if (r <= 0) return v;
    std::vector<float> tmp(v.size()), out(v.size());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double acc = 0;
            for (int u = x - r; u <= x + r; ++u) acc += v[std::size_t(y) * w + std::clamp(u, 0, w - 1)];
            tmp[std::size_t(y) * w + x] = float(acc / (2 * r + 1));
        }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double acc = 0;
            for (int u = y - r; u <= y + r; ++u) acc += tmp[std::size_t(std::clamp(u, 0, h - 1)) * w + x];
            out[std::size_t(y) * w + x] = float(acc / (2 * r + 1));
        }
    return out;
}

// Sensor noise (sigma) from neighbouring pixels' differences: strokes and the light change
// slowly or rarely, so the median difference is noise (sqrt 2 for the difference of two).
float pixel_noise(const GrayImage& g) {
    std::vector<float> d;
    d.reserve(g.pixels.size());
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x + 1 < g.width; ++x) d.push_back(std::fabs(g.at(x + 1, y) - g.at(x, y)));
    if (d.empty()) return 0.0f;
    return 1.4826f * percentile(d, 0.5f) / std::sqrt(2.0f);
}

// Robust spread: 1.4826 x the median absolute deviation from the median (= sigma for Gaussian
// noise, unmoved by the minority of ink pixels).
float robust_sigma(const std::vector<float>& values, float& median) {
    std::vector<float> tmp = values;
    median = percentile(tmp, 0.5f);
    for (std::size_t i = 0; i < tmp.size(); ++i) tmp[i] = std::fabs(values[i] - median);
    return 1.4826f * percentile(tmp, 0.5f);
}

constexpr int kPolarityGrid = 16;

}  // namespace

PhotoDigit preprocess_photo(const GrayImage& luminance) {
    PhotoDigit d;
    d.ink = ink_from_photo(luminance);
    if (d.ink.empty)
        d.digit.pixels.assign(std::size_t(d.digit.size) * std::size_t(d.digit.size), 0.0f);
    else
        d.digit = preprocess_digit(d.ink.ink);
    return d;
}

GrayImage luminance_from_rgba(const std::uint8_t* rgba, int width, int height) {
    check_size(width, height, "luminance_from_rgba");
    if (!rgba) throw Error("luminance_from_rgba: no pixel data");
    GrayImage g;
    g.width = width;
    g.height = height;
    g.pixels.resize(std::size_t(width) * height);
    for (std::size_t i = 0; i < g.pixels.size(); ++i) g.pixels[i] = 1.0f - rgba_ink(rgba + 4 * i);  // over white paper
    return g;
}

bool is_dark_on_light(const GrayImage& luminance) {
    check_image(luminance, "is_dark_on_light");
    const GrayImage lum = shrink_to(luminance, 0);
    const int bs = block_size(lum.width, lum.height, kPolarityGrid);
    // The median of a block is its paper (or board) as long as ink covers less than half of it;
    // the 3x3 median over blocks repairs the few blocks that a thick stroke fills.
    const std::vector<float> bg =
        upsample(filter3(block_percentile(lum, bs, 0.5f), Op::median), lum.width, lum.height);
    std::vector<float> r(lum.pixels.size());
    double mean = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
        r[i] = lum.pixels[i] - bg[i];
        mean += lum.pixels[i];
    }
    mean /= double(r.size());
    float centre;
    const float t = 3.0f * robust_sigma(r, centre) + 0.02f;  // beyond the noise of the paper
    double dark = 0, light = 0;
    for (float v : r) {
        dark += std::max(0.0f, centre - v - t);
        light += std::max(0.0f, v - centre - t);
    }
    if (dark == light) return mean > 0.5;  // a flat picture: fall back on the overall brightness
    return dark > light;
}

GrayImage ink_from_gray(const GrayImage& luminance, bool* dark_on_light) {
    check_image(luminance, "ink_from_gray");
    GrayImage ink = shrink_to(luminance, 0);
    double sum = 0;
    for (float v : ink.pixels) sum += v;
    const bool dark = sum / double(ink.pixels.size()) > 0.5;
    if (dark_on_light) *dark_on_light = dark;
    if (dark)
        for (float& v : ink.pixels) v = 1.0f - v;
    // Scanned or exported paper is rarely pure white: the median is the background, since a
    // digit covers well under half of the picture, so grey paper does not count as faint ink.
    std::vector<float> sorted = ink.pixels;
    const float background = percentile(sorted, 0.5f);
    if (background > 0.0f && background < 1.0f)
        for (float& v : ink.pixels) v = std::max(0.0f, v - background) / (1.0f - background);
    return ink;
}

PhotoInk ink_from_photo(const GrayImage& luminance, const PhotoOptions& o) {
    check_image(luminance, "ink_from_photo");
    if (o.grid < 1) throw Error("ink_from_photo: grid must be at least 1");
    const GrayImage lum = shrink_to(luminance, o.max_side);
    const int w = lum.width, h = lum.height;
    const std::size_t n = lum.pixels.size();
    PhotoInk out;
    out.ink = GrayImage{w, h, std::vector<float>(n, 0.0f)};
    out.dark_on_light = is_dark_on_light(lum);

    // Illumination: the paper's brightness from a high percentile per block (a low one for a dark
    // board); the 3x3 max (min) skips blocks that a thick stroke fills, the 3x3 mean smooths.
    // Dividing by the paper makes ink as dark in the shadow as in the light.
    const int bs = block_size(w, h, o.grid);
    std::vector<float> level(n);
    if (out.dark_on_light) {
        const std::vector<float> paper =
            upsample(filter3(filter3(block_percentile(lum, bs, 0.8f), Op::max), Op::mean), w, h);
        for (std::size_t i = 0; i < n; ++i)
            level[i] = std::clamp(1.0f - lum.pixels[i] / std::max(paper[i], 0.02f), 0.0f, 1.0f);
    } else {
        const std::vector<float> ground =
            upsample(filter3(filter3(block_percentile(lum, bs, 0.2f), Op::min), Op::mean), w, h);
        for (std::size_t i = 0; i < n; ++i)
            level[i] =
                std::clamp((lum.pixels[i] - ground[i]) / std::max(1.0f - ground[i], 0.02f), 0.0f, 1.0f);
    }

    // Noisy photos (dim light, small sensors) are smoothed over a few pixels: strokes are wider
    // than that, and preprocess_digit averages far larger areas anyway. Clean images are untouched.
    const int blur = std::clamp(int(std::lround(pixel_noise(lum) / 0.03f)), 0, 3);
    level = box_blur(level, w, h, blur);

    // Ink versus paper. A photo of blank paper still gets an Otsu level (inside the noise), so the
    // ink must also stand clear of the paper's own spread.
    const float t = otsu_threshold(level.data(), n);
    out.threshold = t;
    float paper_level;
    const float noise = robust_sigma(level, paper_level);
    std::vector<std::uint8_t> mask(n, 0);
    double fg = 0;
    std::size_t fg_n = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (level[i] > t) {
            mask[i] = 1;
            fg += level[i];
            ++fg_n;
        }
    if (fg_n == 0 || fg / double(fg_n) - paper_level < std::max(o.min_contrast, 5.0f * noise)) return out;

    // The digit is the largest piece of ink inside the photo; pieces cut by the photo's edge
    // (the table beyond the paper, a shadow, a ruled line) are dropped unless the digit itself
    // reaches the edge; what remains must be a sizeable piece near the digit.
    std::vector<int> labels;
    const std::vector<Component> comps = label_components(mask, w, h, labels);
    int largest = -1, main = -1;
    for (int i = 0; i < int(comps.size()); ++i) {
        if (largest < 0 || comps[std::size_t(i)].area > comps[std::size_t(largest)].area) largest = i;
        if (!comps[std::size_t(i)].touches_border &&
            (main < 0 || comps[std::size_t(i)].area > comps[std::size_t(main)].area))
            main = i;
    }
    if (main < 0 || comps[std::size_t(main)].area * 10 < comps[std::size_t(largest)].area) main = largest;
    const Component& digit = comps[std::size_t(main)];
    if (digit.area < std::max<long long>(4, (long long)n / 10000)) return out;  // a dot is no digit
    const int reach = std::max(digit.width(), digit.height()) / 2;
    std::vector<std::uint8_t> keep_label(comps.size() + 1, 0);
    for (std::size_t i = 0; i < comps.size(); ++i) {
        const Component& c = comps[i];
        const bool keep =
            int(i) == main || (c.area >= o.keep_fraction * digit.area && bbox_gap(c, digit) <= reach &&
                               (!c.touches_border || digit.touches_border));
        keep_label[i + 1] = keep;
        (keep ? out.components_kept : out.components_dropped) += 1;
    }
    std::vector<std::uint8_t> kept(n, 0);
    for (std::size_t i = 0; i < n; ++i) kept[i] = keep_label[std::size_t(labels[i])];

    // Soft threshold: from just above the paper's noise (lo) to the strokes' typical level (hi),
    // within a few pixels of the kept ink, so anti-aliased and blurred edges stay grey as in MNIST.
    const int radius = std::max(1, int(std::lround(std::max(w, h) / 100.0)));
    const std::vector<std::uint8_t> near_kept = dilate(kept, w, h, radius);
    const std::vector<std::uint8_t> near_any = dilate(mask, w, h, radius);
    double bsum = 0, bsq = 0, bn = 0;
    std::vector<float> core;
    for (std::size_t i = 0; i < n; ++i) {
        if (!near_any[i]) {
            bsum += level[i];
            bsq += double(level[i]) * level[i];
            ++bn;
        }
        if (kept[i]) core.push_back(level[i]);
    }
    const double bmean = bn > 0 ? bsum / bn : 0.0;
    const double bsd = bn > 0 ? std::sqrt(std::max(0.0, bsq / bn - bmean * bmean)) : 0.0;
    const float lo = std::clamp(float(bmean + 3.0 * bsd), 0.0f, 0.8f * t);
    const float hi = std::max(percentile(core, 0.75f), lo + 0.05f);
    for (std::size_t i = 0; i < n; ++i)
        if (near_kept[i]) out.ink.pixels[i] = std::clamp((level[i] - lo) / (hi - lo), 0.0f, 1.0f);
    out.empty = false;
    return out;
}

}  // namespace cnn
