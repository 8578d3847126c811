#include "cnn/image/drawing.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/image/stroke_width.hpp"

namespace cnn {

namespace {

// The measuring rendering: the ink's longest side at kBox pixels, centred in kSide x kSide.
constexpr int kBox = 96, kSide = 112;
constexpr float kPi = 3.14159265f;

Preprocessed measuring_copy(const GrayImage& ink) {
    PreprocessOptions o;
    o.size = kSide;
    o.box = kBox;
    return preprocess_digit(ink, o);
}

// Stroke width in pixels of a kSide x kSide rendering: a stroke of width w and length L has area
// w L and perimeter 2 L (both sides; a ring too), so w = 2 area / perimeter. The perimeter is
// counted as 4-neighbour ink/background edges of the thresholded ink, which over-counts a
// boundary of random direction by 4 / pi on average.
float width_pixels(const std::vector<float>& px) {
    double area = 0;
    long edges = 0;
    const auto ink = [&](int x, int y) {
        return x >= 0 && y >= 0 && x < kSide && y < kSide && px[std::size_t(y) * kSide + x] > 0.5f;
    };
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
            area += px[std::size_t(y) * kSide + x];
            if (!ink(x, y)) continue;
            edges += !ink(x - 1, y) + !ink(x + 1, y) + !ink(x, y - 1) + !ink(x, y + 1);
        }
    if (edges == 0) return 0.0f;
    return float(2.0 * area / (double(edges) * kPi / 4.0));
}

}  // namespace

float relative_pen_width(const GrayImage& ink) {
    const Preprocessed p = measuring_copy(ink);
    return p.empty ? 0.0f : width_pixels(p.pixels) / float(kBox);
}

Preprocessed preprocess_drawing(const GrayImage& ink, const PenRange& range, const PreprocessOptions& options) {
    if (!(range.min > 0 && range.min <= range.max && range.max <= 0.5f))
        throw Error("pen range must satisfy 0 < min <= max <= 0.5");
    const Preprocessed m = measuring_copy(ink);
    if (m.empty) return preprocess_digit(ink, options);
    const float width = width_pixels(m.pixels) / float(kBox);
    // A solid shape measures about 0.5-0.65 (a disk or a square); anything wider is faint ink around a
    // few solid pixels, not pen strokes, and the erosion it would ask for only costs time.
    constexpr float kWidestStroke = 0.75f;
    if (width <= 0 || width > kWidestStroke || (width >= range.min && width <= range.max))
        return preprocess_digit(ink, options);
    // The page's strokes all have the pen's width: eroding (or dilating) by a disk changes that
    // width and nothing else, so loops stay open and strokes whole (unlike a redraw from centre
    // lines, which loses the loops of a very bold drawing). Eroding by r takes 2r off both the
    // strokes and the ink's box: (w - 2r) / (B - 2r) = target.
    const float target = std::clamp(width, range.min, range.max);
    const float radius = std::fabs(width - target) * float(kBox) / (2.0f * (1.0f - target));
    if (radius < 0.5f) return preprocess_digit(ink, options);
    GrayImage adjusted{kSide, kSide, std::vector<float>(m.pixels.size())};
    morph_disk(m.pixels.data(), adjusted.pixels.data(), kSide, kSide, radius, width < target);
    // Faint ink with few solid pixels measures far wider than any pen and erodes to nothing: such
    // a drawing is not pen strokes, so it goes through unchanged rather than becoming empty.
    Preprocessed out = preprocess_digit(adjusted, options);
    return out.empty ? preprocess_digit(ink, options) : out;
}

}  // namespace cnn
