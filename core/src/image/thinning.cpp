#include "image/thinning.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "cnn/base/error.hpp"
#include "cnn/image/preprocess.hpp"

namespace cnn::skeleton {

namespace {

// Neighbour k clockwise from north (N NE E SE S SW W NW), the order the rules below are stated in.
constexpr bool bit(int code, int k) {
    constexpr int kReadingOrder[8] = {1, 2, 4, 7, 6, 5, 3, 0};  // clockwise to Grid::code's bits
    return (code >> kReadingOrder[k & 7]) & 1;
}

constexpr int count_bits(int code) {
    int n = 0;
    for (int k = 0; k < 8; ++k) n += (code >> k) & 1;
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

// Thinning keeps some 30 bytes per grid pixel; a digit needs a few thousand pixels.
constexpr std::uint64_t kMaxGridPixels = std::uint64_t(1) << 22;

// NaN, infinities and negatives are background. `&`, not `&&`, here and below: no branches.
float ink_value(float v) {
    return ((v > 0) & (v < std::numeric_limits<float>::infinity())) ? v : 0.0f;
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

// The first and last index whose value is above cut; (size, -1) if none.
std::pair<int, int> span_above(const std::vector<float>& v, float cut) {
    int first = int(v.size()), last = -1;
    for (int i = 0; i < int(v.size()); ++i)
        if (v[std::size_t(i)] > cut) first = std::min(first, i), last = i;
    return {first, last};
}

}  // namespace

int Grid::degree(int i) const {
    return count_bits(code(i));
}

Point2 Grid::point(double gx, double gy) const {
    return {float((ox * scale + gx - 1 + 0.5) / scale), float((oy * scale + gy - 1 + 0.5) / scale)};
}

float InkField::at(Point2 p) const {
    if (!(p.x >= 0 && p.y >= 0 && p.x <= float(width) && p.y <= float(height))) return 0;  // the ink ends there
    const float fx = p.x - 0.5f, fy = p.y - 0.5f;  // in pixel centres
    const float x0 = std::floor(fx), y0 = std::floor(fy), tx = fx - x0, ty = fy - y0;
    auto value = [&](float x, float y) {
        const int cx = int(std::clamp(x, 0.0f, float(width - 1))), cy = int(std::clamp(y, 0.0f, float(height - 1)));
        return ink_value(pixels[std::size_t(cy) * std::size_t(width) + std::size_t(cx)]);
    };
    const float top = value(x0, y0) + (value(x0 + 1, y0) - value(x0, y0)) * tx;
    const float bottom = value(x0, y0 + 1) + (value(x0 + 1, y0 + 1) - value(x0, y0 + 1)) * tx;
    return top + (bottom - top) * ty;
}

float ink_reach(const InkField& ink, Point2 p, Point2 dir) {
    // Between pixel centres the field is (nearly) linear along a ray: half-pixel steps, then a
    // linear interpolation, find where it falls to the cut to a few hundredths of a pixel.
    constexpr float step = 0.5f;
    float before = ink.at(p);
    if (!(before > ink.cut)) return 0;
    const int steps = int(std::hypot(float(ink.width), float(ink.height)) / step) + 4;  // out of the image by then
    for (int k = 1; k <= steps; ++k) {
        const float v = ink.at({p.x + float(k) * step * dir.x, p.y + float(k) * step * dir.y});
        if (!(v > ink.cut)) return (float(k - 1) + (before - ink.cut) / (before - v)) * step;
        before = v;
    }
    return float(steps) * step;
}

Grid read_ink(const float* pixels, int width, int height, float threshold, int scale) {
    if (!pixels || width <= 0 || height <= 0 || width > kMaxDrawingSide || height > kMaxDrawingSide ||
        std::uint64_t(width) * std::uint64_t(height) > kMaxDrawingPixels)
        throw Error("skeleton_strokes: image is " + std::to_string(width) + "x" + std::to_string(height) +
                    (pixels ? "" : " without pixels") + "; images need pixels and at most " +
                    std::to_string(kMaxDrawingSide) + " a side");
    auto at = [&](int x, int y) { return ink_value(pixels[std::size_t(y) * width + x]); };
    // Row and column maxima give the brightest pixel and the inked region in one pass.
    std::vector<float> row_max(std::size_t(height), 0.0f), col_max(std::size_t(width), 0.0f);
    for (int y = 0; y < height; ++y) {
        float m = 0;
        for (int x = 0; x < width; ++x) {
            const float v = at(x, y);
            m = std::max(m, v);
            col_max[std::size_t(x)] = std::max(col_max[std::size_t(x)], v);
        }
        row_max[std::size_t(y)] = m;
    }
    const float cut = threshold * *std::max_element(row_max.begin(), row_max.end());
    auto [x0, x1] = span_above(col_max, cut);
    auto [y0, y1] = span_above(row_max, cut);
    Grid g;
    g.scale = scale;
    g.field = {pixels, width, height, cut};
    if (x1 < 0) return g;
    // An upsampled pixel reads the input pixels up to one away, so one pixel of margin holds all ink.
    x0 = std::max(0, x0 - 1), x1 = std::min(width - 1, x1 + 1);
    y0 = std::max(0, y0 - 1), y1 = std::min(height - 1, y1 + 1);
    const int rw = (x1 - x0 + 1) * scale, rh = (y1 - y0 + 1) * scale;
    if (std::uint64_t(rw + 2) * std::uint64_t(rh + 2) > kMaxGridPixels)
        throw Error("skeleton_strokes: the ink's bounding box upsampled " + std::to_string(scale) + " times is " +
                    std::to_string(rw) + "x" + std::to_string(rh) + " pixels, more than " +
                    std::to_string(kMaxGridPixels) + "; scale the image down or use a smaller upsample");
    g.w = rw + 2, g.h = rh + 2, g.ox = x0, g.oy = y0;
    g.step = {-g.w, -g.w + 1, 1, g.w + 1, g.w, g.w - 1, -1, -g.w - 1};
    g.ink.assign(std::size_t(g.w) * g.h + 1, 0);

    const Taps cols = taps(x0, rw, scale, width), rows = taps(y0, rh, scale, height);
    // Rows interpolated across first, for the input rows the vertical taps read.
    const int r0 = rows.lo.front(), r1 = rows.hi.back();
    std::vector<float> across(std::size_t(r1 - r0 + 1) * rw);
    for (int r = r0; r <= r1; ++r)
        for (int j = 0; j < rw; ++j) {
            const float a = at(cols.lo[j], r), b = at(cols.hi[j], r);
            across[std::size_t(r - r0) * rw + j] = a + (b - a) * cols.t[j];
        }
    g.inked.resize(std::size_t(rw) * rh);
    std::size_t n = 0;
    for (int i = 0; i < rh; ++i) {
        const float* top = &across[std::size_t(rows.lo[i] - r0) * rw];
        const float* bottom = &across[std::size_t(rows.hi[i] - r0) * rw];
        const float t = rows.t[i];
        for (int j = 0; j < rw; ++j) {
            const int k = (i + 1) * g.w + j + 1;
            const bool on = top[j] + (bottom[j] - top[j]) * t > cut;
            g.ink[std::size_t(k)] = on;
            g.inked[n] = k;  // appended without a branch: ink is too ragged to predict
            n += on;
        }
    }
    g.inked.resize(n);
    return g;
}

Blobs label_blobs(const Grid& grid) {
    // Runs of ink along rows, each joined to the runs it touches in the row above (union-find with
    // the earliest run as root, so that blobs are numbered in raster order of their first pixel).
    struct Run {
        int first, last, parent;
    };
    std::vector<Run> runs;
    for (int i : grid.inked) {
        if (!runs.empty() && runs.back().last + 1 == i)  // the border column keeps rows apart
            runs.back().last = i;
        else
            runs.push_back({i, i, int(runs.size())});
    }
    auto root = [&](int r) {
        while (runs[std::size_t(r)].parent != r) {
            Run& run = runs[std::size_t(r)];
            r = run.parent = runs[std::size_t(run.parent)].parent;  // path halving
        }
        return r;
    };
    std::size_t above = 0;
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const int lo = runs[r].first - grid.w - 1, hi = runs[r].last - grid.w + 1;  // 8-neighbours above
        while (above < r && runs[above].last < lo) ++above;
        for (std::size_t q = above; q < r && runs[q].first <= hi; ++q) {
            const int a = root(int(q)), b = root(int(r));
            runs[std::size_t(std::max(a, b))].parent = std::min(a, b);
        }
    }
    Blobs b;
    b.label.assign(grid.ink.size(), -1);
    std::vector<int> id(runs.size(), -1);
    for (std::size_t r = 0; r < runs.size(); ++r) {
        int& blob = id[std::size_t(root(int(r)))];
        if (blob < 0) {
            blob = int(b.area.size());
            b.area.push_back(0), b.sx.push_back(0), b.sy.push_back(0);
        }
        const Run& run = runs[r];
        const double length = run.last - run.first + 1;
        b.area[std::size_t(blob)] += length;
        b.sx[std::size_t(blob)] += length * (grid.x_of(run.first) + grid.x_of(run.last)) / 2;
        b.sy[std::size_t(blob)] += length * grid.y_of(run.first);
        std::fill(b.label.begin() + run.first, b.label.begin() + run.last + 1, blob);
    }
    return b;
}

std::vector<int> thin(Grid& grid) {
    std::vector<std::uint8_t>& ink = grid.ink;
    // Each pass looks only at the pixels whose fate may have changed: all at first, then those next
    // to a pixel that went. One that both passes kept, unchanged since, stays (looked == 2), as do
    // pixels inside the ink (no background neighbour). Lists are appended to without branches
    // (write, then advance by 0 or 1): which pixels go is too ragged for branch prediction. A
    // pixel is in a list at most once, so inked.size() + 1 slots are enough.
    std::vector<std::uint8_t> looked(ink.size(), 0);
    std::vector<int> todo = grid.inked, next(grid.inked.size() + 1), gone(grid.inked.size() + 1);
    todo.resize(grid.inked.size() + 1);
    std::size_t n_todo = grid.inked.size();
    for (int pass = 0; n_todo > 0; pass ^= 1) {
        std::size_t n_gone = 0, n_next = 0;
        for (std::size_t k = 0; k < n_todo; ++k) {
            const int i = todo[k];
            const int code = grid.code(i);
            const bool goes = kPeeled[pass][std::size_t(code)];
            std::uint8_t& l = looked[std::size_t(i)];
            l = goes ? l : code == 255 ? 2 : l + 1;
            gone[n_gone] = i;
            n_gone += goes;
            next[n_next] = i;
            n_next += int(!goes) & int(l < 2);
        }
        for (std::size_t k = 0; k < n_gone; ++k) ink[std::size_t(gone[k])] = 0;  // the pass is parallel
        for (std::size_t k = 0; k < n_gone; ++k)
            for (int s : grid.step) {
                const std::size_t q = std::size_t(gone[k] + s);
                next[n_next] = int(q);
                n_next += int(ink[q] != 0) & int(looked[q] == 2);
                looked[q] = 0;
            }
        todo.swap(next);
        n_todo = n_next;
    }
    std::vector<int> skeleton;
    for (int i : grid.inked)
        if (ink[std::size_t(i)]) skeleton.push_back(i);
    // Sequential, in raster order, so that two corners of one staircase step never both go.
    for (bool changed = true; changed;) {
        changed = false;
        for (int i : skeleton)
            if (ink[std::size_t(i)] && kRedundant[std::size_t(grid.code(i))]) {
                ink[std::size_t(i)] = 0;
                changed = true;
            }
    }
    skeleton.erase(std::remove_if(skeleton.begin(), skeleton.end(), [&](int i) { return !ink[std::size_t(i)]; }),
                   skeleton.end());
    return skeleton;
}

}  // namespace cnn::skeleton
