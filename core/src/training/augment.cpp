#include "cnn/training/augment.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/image/redraw.hpp"
#include "cnn/image/stroke_width.hpp"
#include "cnn/image/style_shift.hpp"

namespace cnn {

namespace {
constexpr float kPi = 3.14159265358979f;
// Samples per pool task in augment_batch; fixed so that task boundaries do not depend on threads.
constexpr int kImagesPerTask = 8;

// The shortest text that reads back as exactly v ("0.1", not "0.100000001").
std::string shortest(float v) {
    char buf[32];
    for (int digits = 1; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
        // Plain digits unless the value is huge or tiny: "1e+01" reads back as 10 but reads badly.
        const bool plain = !std::strchr(buf, 'e') || std::fabs(v) >= 1e15f || std::fabs(v) < 1e-4f;
        if (std::strtof(buf, nullptr) == v && plain) break;
    }
    return buf;
}

// The style shifts that are on, so that a recipe without them reads as it always did.
std::string describe_style(const AugmentOptions& o) {
    std::string s;
    if (o.redraw > 0) s += ", redraw " + shortest(o.redraw) + " pen " + shortest(o.pen_min) + "-" + shortest(o.pen_max);
    if (o.marks > 0) s += ", marks " + shortest(o.marks);
    if (o.page_pen > 0) s += ", page pen " + shortest(o.page_pen);
    if (o.stray > 0) s += ", stray " + shortest(o.stray);
    if (o.stroke > 0) s += ", stroke " + shortest(o.stroke);
    if (o.deskew) s += ", then deskewed";
    return s;
}

// The convention a digit can be marked with, if any.
bool mark_for(int label, Convention& c) {
    if (label == 0) c = Convention::SlashedZero;
    else if (label == 1) c = Convention::ContinentalOne;
    else if (label == 7) c = Convention::CrossedSeven;
    else return false;
    return true;
}

// The style shifts, in place on one h x w single-channel image. Random values are drawn after the
// affine ones, and only for the shifts that are on, so older recipes draw exactly as before.
void style_shifts(float* img, int h, int w, const AugmentOptions& o, Rng& rng, int label) {
    if (o.redraw > 0 && rng.uniform() < o.redraw) {
        const float pen = rng.uniform(o.pen_min, o.pen_max);
        std::vector<Stroke> strokes = digit_strokes(img, w, h);
        Convention c;
        if (o.marks > 0 && rng.uniform() < o.marks && mark_for(label, c) && !strokes.empty())
            strokes = add_convention_mark(strokes, c, rng);
        Preprocessed p;
        if (o.page_pen > 0 && rng.uniform() < o.page_pen) {
            PadPlacement place;
            place.pad = 140;  // half the page's canvas: the same pen and sizes, a quarter of the pixels
            place.extent = rng.uniform(0.25f, 0.9f);
            place.pen = kPagePen;
            p = preprocess_drawing(draw_on_pad(strokes, place), PenRange{}, mnist_options(h));
        } else {
            p = redraw_strokes(strokes, pen, 112, h);
        }
        if (!p.empty && w == h) std::copy(p.pixels.begin(), p.pixels.end(), img);
    }
    if (o.stray > 0 && rng.uniform() < o.stray) {
        const Preprocessed p = add_stray_mark(img, w, h, rng, h);
        if (!p.empty && w == h) std::copy(p.pixels.begin(), p.pixels.end(), img);
    }
    // Bolder strokes only: thinner pens come from the redraw, and thinning a bitmap is costly
    // (it keeps the centre lines, which takes a skeleton per image).
    if (o.stroke > 0) change_stroke_width(img, img, w, h, rng.uniform(0.0f, o.stroke));
}

void require_range(float v, float max, const char* what) {
    if (!(v >= 0.0f && v <= max))
        throw Error(std::string("augmentation ") + what + " must be between 0 and " + shortest(max) + ", got " +
                    shortest(v));
}

// Separable Gaussian blur of an h x w field with zero padding (what Simard's construction and
// scipy's gaussian_filter(mode="constant") do): borders see less noise, which keeps them calm.
void gaussian_blur(std::vector<float>& f, int h, int w, float sigma) {
    const int radius = std::max(1, int(std::ceil(3.0f * sigma)));
    std::vector<float> k(std::size_t(2 * radius + 1));
    float sum = 0.0f;
    for (int i = -radius; i <= radius; ++i)
        sum += k[std::size_t(i + radius)] = std::exp(-0.5f * float(i * i) / (sigma * sigma));
    for (auto& v : k) v /= sum;
    std::vector<float> tmp(f.size());
    for (int y = 0; y < h; ++y)  // along rows
        for (int x = 0; x < w; ++x) {
            float acc = 0.0f;
            for (int i = std::max(-radius, -x); i <= std::min(radius, w - 1 - x); ++i)
                acc += k[std::size_t(i + radius)] * f[std::size_t(y) * w + x + i];
            tmp[std::size_t(y) * w + x] = acc;
        }
    for (int y = 0; y < h; ++y)  // along columns
        for (int x = 0; x < w; ++x) {
            float acc = 0.0f;
            for (int i = std::max(-radius, -y); i <= std::min(radius, h - 1 - y); ++i)
                acc += k[std::size_t(i + radius)] * tmp[std::size_t(y + i) * w + x];
            f[std::size_t(y) * w + x] = acc;
        }
}
}  // namespace

void validate(const AugmentOptions& o) {
    require_range(o.rotation, 180.0f, "rotation (degrees)");
    require_range(o.scale, 0.9f, "scale range");
    require_range(o.shear, 2.0f, "shear");
    require_range(o.shift, 1e4f, "shift (pixels)");
    require_range(o.elastic_alpha, 1e4f, "elastic alpha");
    if (o.elastic_alpha > 0.0f && !(o.elastic_sigma > 0.0f && o.elastic_sigma <= 1e3f))
        throw Error("augmentation elastic sigma must be positive (at most 1000) when elastic alpha is set, got " +
                    shortest(o.elastic_sigma));
    require_range(o.redraw, 1.0f, "redraw probability");
    require_range(o.marks, 1.0f, "convention mark probability");
    require_range(o.page_pen, 1.0f, "page pen probability");
    require_range(o.stray, 1.0f, "stray mark probability");
    require_range(o.stroke, 3.0f, "stroke width change");
    if (!(o.pen_min > 0.0f && o.pen_min <= o.pen_max && o.pen_max <= 0.5f))
        throw Error("augmentation redraw pen widths must satisfy 0 < min <= max <= 0.5, got " + shortest(o.pen_min) +
                    "-" + shortest(o.pen_max));
}

std::string describe(const AugmentOptions& o) {
    return "rotation " + shortest(o.rotation) + ", scale " + shortest(o.scale) + ", shear " + shortest(o.shear) +
           ", shift " + shortest(o.shift) + ", elastic alpha " + shortest(o.elastic_alpha) + " sigma " +
           shortest(o.elastic_sigma) + describe_style(o);
}

AffineTransform random_affine(const AugmentOptions& o, Rng& rng) {
    const float angle = rng.uniform(-o.rotation, o.rotation) * (kPi / 180.0f);
    const float s = 1.0f + rng.uniform(-o.scale, o.scale);
    const float k = rng.uniform(-o.shear, o.shear);
    AffineTransform a;
    a.tx = rng.uniform(-o.shift, o.shift);
    a.ty = rng.uniform(-o.shift, o.shift);
    // m = s * R(angle) * [[1, k], [0, 1]]
    const float c = std::cos(angle), sn = std::sin(angle);
    a.m[0] = s * c;
    a.m[1] = s * (c * k - sn);
    a.m[2] = s * sn;
    a.m[3] = s * (sn * k + c);
    return a;
}

void elastic_field(int h, int w, float alpha, float sigma, Rng& rng, std::vector<float>& dx,
                   std::vector<float>& dy) {
    const std::size_t n = std::size_t(h) * std::size_t(w);
    dx.resize(n);
    dy.resize(n);
    for (auto& v : dx) v = rng.uniform(-1.0f, 1.0f);
    for (auto& v : dy) v = rng.uniform(-1.0f, 1.0f);
    gaussian_blur(dx, h, w, sigma);
    gaussian_blur(dy, h, w, sigma);
    for (auto& v : dx) v *= alpha;
    for (auto& v : dy) v *= alpha;
}

void warp_image(const float* in, float* out, const Shape& shape, const AffineTransform& a, const float* dx,
                const float* dy) {
    const int h = shape.h, w = shape.w, ch = shape.c;
    const float det = a.determinant();
    if (!(std::fabs(det) > 1e-6f) || !std::isfinite(det))
        throw Error("augmentation transform is singular (determinant " + std::to_string(det) + ")");
    const float i00 = a.m[3] / det, i01 = -a.m[1] / det, i10 = -a.m[2] / det, i11 = a.m[0] / det;
    const float cx = 0.5f * float(w - 1), cy = 0.5f * float(h - 1);
    // Bilinear weights sum to 1 and the outside is 0, so outputs lie in [min(lo, 0), max(hi, 0)];
    // clamping to that removes rounding overshoot (pixels in [0, 1] stay in [0, 1] exactly).
    float lo = 0.0f, hi = 0.0f;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        lo = std::min(lo, in[i]);
        hi = std::max(hi, in[i]);
    }
    const auto at = [&](int y, int x, int c) {
        return (x < 0 || y < 0 || x >= w || y >= h) ? 0.0f : in[(std::size_t(y) * w + x) * ch + c];
    };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const std::size_t p = std::size_t(y) * w + x;
            const float u = float(x) + (dx ? dx[p] : 0.0f) - cx - a.tx;
            const float v = float(y) + (dy ? dy[p] : 0.0f) - cy - a.ty;
            const float sx = i00 * u + i01 * v + cx, sy = i10 * u + i11 * v + cy;
            float* o = out + p * ch;
            if (!(sx > -1.0f && sy > -1.0f && sx < float(w) && sy < float(h))) {
                std::fill(o, o + ch, 0.0f);
                continue;
            }
            const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
            const float fx = sx - float(x0), fy = sy - float(y0);
            for (int c = 0; c < ch; ++c) {
                const float top = (1.0f - fx) * at(y0, x0, c) + fx * at(y0, x0 + 1, c);
                const float bottom = (1.0f - fx) * at(y0 + 1, x0, c) + fx * at(y0 + 1, x0 + 1, c);
                o[c] = std::clamp((1.0f - fy) * top + fy * bottom, lo, hi);
            }
        }
}

void augment_image(const float* in, float* out, const Shape& shape, const AugmentOptions& o, Rng& rng,
                   int label) {
    const AffineTransform a = random_affine(o, rng);
    std::vector<float> dx, dy;
    if (o.elastic_alpha > 0.0f) elastic_field(shape.h, shape.w, o.elastic_alpha, o.elastic_sigma, rng, dx, dy);
    const bool styled = shape.c == 1 && (o.redraw > 0 || o.stray > 0 || o.stroke > 0);
    std::vector<float> shifted;
    if (styled) {
        shifted.assign(in, in + shape.size());
        style_shifts(shifted.data(), shape.h, shape.w, o, rng, label);
        in = shifted.data();
    }
    warp_image(in, out, shape, a, dx.empty() ? nullptr : dx.data(), dy.empty() ? nullptr : dy.data());
    if (o.deskew && shape.c == 1) apply_input_preprocessing(InputPreprocessing::mnist_deskew, out, shape.w, shape.h);
}

void augment_batch(Tensor& x, const AugmentOptions& o, Rng& rng, ThreadPool* pool, const std::uint8_t* labels) {
    validate(o);
    const int n = x.n();
    std::vector<std::uint64_t> seeds(std::size_t(n > 0 ? n : 0));
    for (auto& s : seeds) s = rng.next_u64();
    const Shape shape = x.shape();
    const std::size_t size = shape.size();
    const auto task = [&](int t) {
        std::vector<float> original(size);
        const int end = std::min(n, (t + 1) * kImagesPerTask);
        for (int i = t * kImagesPerTask; i < end; ++i) {
            Rng sample_rng(seeds[std::size_t(i)]);
            std::copy(x.sample(i), x.sample(i) + size, original.begin());
            augment_image(original.data(), x.sample(i), shape, o, sample_rng, labels ? int(labels[i]) : -1);
        }
    };
    const int tasks = chunk_count(n, kImagesPerTask);
    if (pool) {
        pool->run(tasks, task);
    } else {
        for (int t = 0; t < tasks; ++t) task(t);
    }
}

}  // namespace cnn
