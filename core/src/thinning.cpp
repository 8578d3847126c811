#include "thinning.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/error.hpp"
#include "cnn/preprocess.hpp"

namespace cnn {

namespace {

constexpr bool bit(int code, int k) {
    return (code >> (k & 7)) & 1;
}

constexpr int count_bits(int code) {
    int n = 0;
    for (int k = 0; k < 8; ++k) n += bit(code, k);
    return n;
}

// Zhang & Suen (1984): a pixel goes if it has 2..6 ink neighbours, one background-to-ink step
// around it (it joins nothing) and lies on the side this pass peels (south-east, then north-west),
// so that strokes thin from both sides towards their middle.
constexpr bool peeled(int code, int pass) {
    int rises = 0;
    for (int k = 0; k < 8; ++k) rises += !bit(code, k) && bit(code, k + 1);
    const int n = count_bits(code);
    if (n < 2 || n > 6 || rises != 1) return false;
    const bool N = bit(code, 0), E = bit(code, 2), S = bit(code, 4), W = bit(code, 6);
    return pass == 0 ? !(N && E && S) && !(E && S && W) : !(N && E && W) && !(N && S && W);
}

// Yokoi's 8-connectivity number is 1 exactly when deleting the pixel changes no topology (ink
// 8-connected, background 4-connected). With 2+ neighbours it is then no line end either: such a
// pixel is a staircase corner, which would make a junction out of a plain line.
constexpr bool redundant(int code) {
    int number = 0;
    for (int k = 0; k < 8; k += 2) {
        const bool a = !bit(code, k), b = !bit(code, k + 1), c = !bit(code, k + 2);
        number += int(a) - int(a && b && c);
    }
    return number == 1 && count_bits(code) >= 2;
}

template <class F>
constexpr std::array<bool, 256> code_table(F f) {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[std::size_t(c)] = f(c);
    return t;
}

constexpr std::array<bool, 256> kPeeled[2] = {code_table([](int c) { return peeled(c, 0); }),
                                              code_table([](int c) { return peeled(c, 1); })};
constexpr std::array<bool, 256> kRedundant = code_table(redundant);

float ink_value(float v) {
    return std::isfinite(v) && v > 0 ? v : 0.0f;
}

// Bilinear sampling positions along one axis: upsampled pixel j of the region starting at input
// pixel `from` reads input pixels lo[j] and hi[j] (clamped to the image) with weight t[j] on hi.
struct Taps {
    std::vector<int> lo, hi;
    std::vector<float> t;
};

Taps taps(int from, int count, int scale, int size) {
    Taps s;
    for (int j = 0; j < count; ++j) {
        const float at = (float(from * scale + j) + 0.5f) / float(scale) - 0.5f;  // in input pixel centres
        const int i = int(std::floor(at));
        s.lo.push_back(std::clamp(i, 0, size - 1));
        s.hi.push_back(std::clamp(i + 1, 0, size - 1));
        s.t.push_back(at - float(i));
    }
    return s;
}

}  // namespace

int Grid::degree(int i) const {
    return count_bits(code(i));
}

Point2 Grid::point(double gx, double gy) const {
    return {float((ox * scale + gx - 1 + 0.5) / scale), float((oy * scale + gy - 1 + 0.5) / scale)};
}

Grid read_ink(const float* pixels, int width, int height, float threshold, int scale) {
    if (!pixels || width <= 0 || height <= 0 || width > kMaxDrawingSide || height > kMaxDrawingSide ||
        std::uint64_t(width) * std::uint64_t(height) > kMaxDrawingPixels)
        throw Error("skeleton_strokes: image is " + std::to_string(width) + "x" + std::to_string(height) +
                    (pixels ? "" : " without pixels") + "; images need pixels and at most " +
                    std::to_string(kMaxDrawingSide) + " a side");
    auto at = [&](int x, int y) { return ink_value(pixels[std::size_t(y) * width + x]); };
    float peak = 0;
    for (std::size_t i = 0; i < std::size_t(width) * height; ++i) peak = std::max(peak, ink_value(pixels[i]));
    const float cut = threshold * peak;
    int x0 = width, x1 = -1, y0 = height, y1 = -1;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (at(x, y) > cut) {
                x0 = std::min(x0, x), x1 = std::max(x1, x);
                y0 = std::min(y0, y), y1 = std::max(y1, y);
            }
    Grid g;
    g.scale = scale;
    if (x1 < 0) return g;
    // An upsampled pixel reads the input pixels up to one away, so one pixel of margin holds all ink.
    x0 = std::max(0, x0 - 1), x1 = std::min(width - 1, x1 + 1);
    y0 = std::max(0, y0 - 1), y1 = std::min(height - 1, y1 + 1);
    const int rw = (x1 - x0 + 1) * scale, rh = (y1 - y0 + 1) * scale;
    if (std::uint64_t(rw + 2) * std::uint64_t(rh + 2) > kMaxDrawingPixels)
        throw Error("skeleton_strokes: the ink upsampled " + std::to_string(scale) + " times is " + std::to_string(rw) +
                    "x" + std::to_string(rh) + " pixels, more than " + std::to_string(kMaxDrawingPixels) +
                    "; use a smaller upsample");
    g.w = rw + 2, g.h = rh + 2, g.ox = x0, g.oy = y0;
    g.step = {-g.w, -g.w + 1, 1, g.w + 1, g.w, g.w - 1, -1, -g.w - 1};
    g.ink.assign(std::size_t(g.w) * g.h, 0);

    const Taps cols = taps(x0, rw, scale, width), rows = taps(y0, rh, scale, height);
    // Rows interpolated across first, for the input rows the vertical taps read.
    const int r0 = rows.lo.front(), r1 = rows.hi.back();
    std::vector<float> across(std::size_t(r1 - r0 + 1) * rw);
    for (int r = r0; r <= r1; ++r)
        for (int j = 0; j < rw; ++j) {
            const float a = at(cols.lo[j], r), b = at(cols.hi[j], r);
            across[std::size_t(r - r0) * rw + j] = a + (b - a) * cols.t[j];
        }
    for (int i = 0; i < rh; ++i) {
        const float* top = &across[std::size_t(rows.lo[i] - r0) * rw];
        const float* bottom = &across[std::size_t(rows.hi[i] - r0) * rw];
        const float t = rows.t[i];
        for (int j = 0; j < rw; ++j)
            if (top[j] + (bottom[j] - top[j]) * t > cut) {
                const int k = (i + 1) * g.w + j + 1;
                g.ink[std::size_t(k)] = 1;
                g.inked.push_back(k);
            }
    }
    return g;
}

Blobs label_blobs(const Grid& grid) {
    Blobs b;
    b.label.assign(grid.ink.size(), -1);
    std::vector<int> stack;
    for (int seed : grid.inked) {
        if (b.label[std::size_t(seed)] >= 0) continue;
        const int id = int(b.area.size());
        b.area.push_back(0), b.sx.push_back(0), b.sy.push_back(0);
        b.label[std::size_t(seed)] = id;
        stack.assign(1, seed);
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            b.area[id] += 1, b.sx[id] += grid.x_of(p), b.sy[id] += grid.y_of(p);
            for (int s : grid.step) {
                const std::size_t q = std::size_t(p + s);
                if (grid.ink[q] && b.label[q] < 0) {
                    b.label[q] = id;
                    stack.push_back(p + s);
                }
            }
        }
    }
    return b;
}

std::vector<int> thin(Grid& grid) {
    std::vector<std::uint8_t>& ink = grid.ink;
    // Only pixels next to background can go, so each pass looks at those alone: the border
    // pixels that survived the last pass plus the neighbours of the ones that went.
    std::vector<std::uint8_t> queued(ink.size(), 0);
    std::vector<int> border, next, gone;
    for (int i : grid.inked)
        if (grid.code(i) != 255) border.push_back(i), queued[std::size_t(i)] = 1;
    for (int pass = 0, quiet = 0; quiet < 2; pass ^= 1) {
        gone.clear();
        for (int i : border)
            if (kPeeled[pass][std::size_t(grid.code(i))]) gone.push_back(i);
        for (int i : gone) ink[std::size_t(i)] = 0;  // after all decisions: the pass is parallel
        quiet = gone.empty() ? quiet + 1 : 0;
        next.clear();
        for (int i : border)
            if (ink[std::size_t(i)]) next.push_back(i);
        for (int i : gone)
            for (int s : grid.step)
                if (ink[std::size_t(i + s)] && !queued[std::size_t(i + s)])
                    next.push_back(i + s), queued[std::size_t(i + s)] = 1;
        border.swap(next);
    }
    std::vector<int> skeleton;
    for (int i : grid.inked)
        if (ink[std::size_t(i)]) skeleton.push_back(i);
    // Sequential, in raster order, so that two corners of one staircase step never both go.
    for (bool changed = true; changed;) {
        changed = false;
        for (int i : skeleton)
            if (ink[std::size_t(i)] && kRedundant[std::size_t(grid.code(i))]) ink[std::size_t(i)] = 0, changed = true;
    }
    skeleton.erase(std::remove_if(skeleton.begin(), skeleton.end(), [&](int i) { return !ink[std::size_t(i)]; }),
                   skeleton.end());
    return skeleton;
}

}  // namespace cnn
