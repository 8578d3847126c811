// Writing-style shifts: stroke width, the page's pad, slant, stray marks, writing conventions, pen
// redraws and the augmentations built on them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/image/redraw.hpp"
#include "cnn/image/stroke_width.hpp"
#include "cnn/image/style_shift.hpp"
#include "cnn/training/augment.hpp"

using namespace cnn;

namespace {

// A "7" drawn with a round pen `pen` pixels wide, preprocessed like a drawing (28x28).
std::vector<float> seven(float pen = 14.0f) {
    GrayImage pad{140, 140, std::vector<float>(140 * 140, 0.0f)};
    draw_stroke(pad, {{30, 25}, {110, 25}, {60, 120}}, pen);
    return preprocess_digit(pad).pixels;
}

double mass(const std::vector<float>& img) {
    double m = 0;
    for (float v : img) m += v;
    return m;
}

// Centre of mass of the rows [y0, y1) in x.
double row_band_cx(const std::vector<float>& img, int y0, int y1) {
    double m = 0, mx = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = 0; x < 28; ++x) m += img[std::size_t(y) * 28 + x], mx += x * img[std::size_t(y) * 28 + x];
    return mx / m;
}

// Number of 8-connected components of pixels above 0.3.
int components(const std::vector<float>& img, int w, int h) {
    std::vector<int> seen(img.size(), 0);
    int n = 0;
    for (int s = 0; s < w * h; ++s) {
        if (seen[std::size_t(s)] || img[std::size_t(s)] <= 0.3f) continue;
        ++n;
        std::vector<int> stack{s};
        seen[std::size_t(s)] = 1;
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    const int x = p % w + dx, y = p / w + dy;
                    if (x < 0 || y < 0 || x >= w || y >= h) continue;
                    const int q = y * w + x;
                    if (!seen[std::size_t(q)] && img[std::size_t(q)] > 0.3f) seen[std::size_t(q)] = 1, stack.push_back(q);
                }
        }
    }
    return n;
}

}  // namespace

TEST_CASE("Stroke width: dilation adds ink, erosion removes it but keeps every stroke") {
    const std::vector<float> img = seven();
    std::vector<float> same(img.size()), bold(img.size()), thin(img.size()), thinner(img.size());
    change_stroke_width(img.data(), same.data(), 28, 28, 0.0f);
    CHECK(same == img);
    change_stroke_width(img.data(), bold.data(), 28, 28, 1.0f);
    change_stroke_width(img.data(), thin.data(), 28, 28, -0.6f);
    change_stroke_width(img.data(), thinner.data(), 28, 28, -1.0f);
    CHECK(mass(bold) > 1.3 * mass(img));
    CHECK(mass(thin) < 0.9 * mass(img));
    CHECK(mass(thinner) < mass(thin));
    CHECK(components(thinner, 28, 28) == 1);  // the 7 is still one stroke
    // A one-pixel line survives erosion (at reduced ink) instead of vanishing.
    std::vector<float> line(28 * 28, 0.0f), eroded(line.size());
    for (int x = 5; x < 23; ++x) line[14 * 28 + x] = 1.0f;
    change_stroke_width(line.data(), eroded.data(), 28, 28, -1.0f);
    CHECK(mass(eroded) >= 0.4 * mass(line));
    CHECK_THROWS_AS(change_stroke_width(img.data(), thin.data(), 28, 28, 4.0f), Error);
}

TEST_CASE("kPagePen is the pen the page draws with") {
    const char* root = std::getenv("CNN_SOURCE_DIR");
    std::ifstream in(std::string(root ? root : CNN_SOURCE_DIR) + "/web/draw.js");
    REQUIRE(in);
    const std::string js((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string key = "strokeFraction = ";
    const auto at = js.find(key);
    REQUIRE(at != std::string::npos);
    CHECK(std::strtof(js.c_str() + at + key.size(), nullptr) == kPagePen);
}

TEST_CASE("The pad: extent, position and pen width as fractions of the pad") {
    PadPlacement place;
    place.pad = 200;
    place.extent = 0.5f;
    place.pen = 0.05f;
    place.cx = 0.25f;
    place.cy = 0.6f;
    const GrayImage img = draw_on_pad({{{0, 0}, {0, 10}}}, place);  // a vertical line
    int x0 = 999, x1 = -1, y0 = 999, y1 = -1;
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 200; ++x)
            if (img.at(x, y) > 0.5f) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    CHECK(std::abs((y1 - y0 + 1) - (100 + 10)) <= 2);  // 100 px long plus the pen's round caps
    CHECK(std::abs((x1 - x0 + 1) - 10) <= 2);          // a 10 px pen
    CHECK(std::abs((x0 + x1) / 2 - 50) <= 1);
    CHECK(std::abs((y0 + y1) / 2 - 120) <= 1);
    CHECK(draw_digit({}, place).empty);
    place.pad = 4;
    CHECK_THROWS_AS(draw_on_pad({{{0, 0}}}, place), Error);
}

TEST_CASE("Slant leans the top of a digit the way asked, and keeps it MNIST-sized") {
    const std::vector<float> img = seven();
    const Preprocessed right = slant_digit(img.data(), 28, 28, 0.47f);
    const Preprocessed left = slant_digit(img.data(), 28, 28, -0.47f);
    REQUIRE_FALSE(right.empty);
    // y grows downwards: leaning right moves the top right relative to the bottom.
    const double lean_r = row_band_cx(right.pixels, 4, 10) - row_band_cx(right.pixels, 18, 24);
    const double lean_l = row_band_cx(left.pixels, 4, 10) - row_band_cx(left.pixels, 18, 24);
    const double lean_0 = row_band_cx(img, 4, 10) - row_band_cx(img, 18, 24);
    CHECK(lean_r > lean_0 + 1.5);
    CHECK(lean_l < lean_0 - 1.5);
    CHECK_THROWS_AS(slant_digit(img.data(), 28, 28, 5.0f), Error);
}

TEST_CASE("A stray mark lands outside the digit and is deterministic for a seed") {
    const std::vector<float> img = seven();
    int separate = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        Rng a(seed), b(seed);
        const Preprocessed p = add_stray_mark(img.data(), 28, 28, a);
        const Preprocessed q = add_stray_mark(img.data(), 28, 28, b);
        REQUIRE(p.pixels == q.pixels);
        if (components(p.pixels, 28, 28) >= 2) ++separate;
        CHECK(mass(p.pixels) > 0);
    }
    CHECK(separate >= 15);  // at 28x28 a mark 1.5 px away may touch the digit now and then
}

TEST_CASE("Convention marks: the slash crosses the 0, the bar crosses the 7's stem, the flag tops the 1") {
    Rng rng(3);
    const std::vector<Stroke> zero = {{{0, 0}, {10, 0}, {10, 20}, {0, 20}, {0, 0}}};
    const auto slashed = add_convention_mark(zero, Convention::SlashedZero, rng);
    REQUIRE(slashed.size() == 2);
    const Stroke& slash = slashed[1];
    CHECK(std::fabs(slash.front().x - slash.back().x) >= 10.0f);
    CHECK(std::fabs(slash.front().y - slash.back().y) >= 20.0f);

    const std::vector<Stroke> seven_strokes = {{{0, 0}, {12, 0}, {5, 20}}};
    const auto crossed = add_convention_mark(seven_strokes, Convention::CrossedSeven, rng);
    REQUIRE(crossed.size() == 2);
    const Stroke& bar = crossed[1];
    const float y = (bar.front().y + bar.back().y) / 2;
    CHECK(y > 8.0f);
    CHECK(y < 13.5f);
    const float stem_x = 12 - 7 * (y / 20);  // where the diagonal is at that height
    CHECK(std::min(bar.front().x, bar.back().x) < stem_x - 1.5f);
    CHECK(std::max(bar.front().x, bar.back().x) > stem_x + 1.5f);

    const std::vector<Stroke> one = {{{5, 0}, {5, 20}}};
    const auto flagged = add_convention_mark(one, Convention::ContinentalOne, rng);
    REQUIRE(flagged.size() >= 2);
    CHECK(flagged[1].back().y == 0.0f);          // the flag ends at the top of the stem
    CHECK(flagged[1].front().x < 5.0f - 4.0f);   // coming from the left, long
    CHECK_THROWS_AS(add_convention_mark(one, Convention::OpenFour, rng), Error);
    CHECK_THROWS_AS(add_convention_mark({}, Convention::SlashedZero, rng), Error);
}

TEST_CASE("Convention templates are drawable, varied and reproducible") {
    for (Convention c : {Convention::OpenFour, Convention::StraightNine, Convention::LoopedTwo}) {
        Rng a(7), b(7), other(8);
        const auto s1 = convention_template(c, a), s2 = convention_template(c, b), s3 = convention_template(c, other);
        REQUIRE(!s1.empty());
        CHECK(s1.size() == s2.size());
        CHECK(s1[0][0].x == s2[0][0].x);
        CHECK(s1[0][0].x != s3[0][0].x);
        const StrokeBox box = stroke_box(s1);
        CHECK(box.x1 - box.x0 > 0.4f);
        CHECK(box.y1 - box.y0 > 0.7f);
        CHECK_FALSE(draw_digit(s1, PadPlacement{}).empty);
    }
    Rng rng(1);
    CHECK_THROWS_AS(convention_template(Convention::SlashedZero, rng), Error);
    CHECK(convention_name(Convention::ContinentalOne) == "continental-1");
    CHECK(convention_digit(Convention::LoopedTwo) == 2);
}

TEST_CASE("Pen redraw: stroke width follows the pen, the shape stays") {
    const std::vector<float> img = seven();
    const Preprocessed thin = redraw_digit(img.data(), 28, 28, 0.07f);
    const Preprocessed thick = redraw_digit(img.data(), 28, 28, 0.16f);
    REQUIRE_FALSE(thin.empty);
    REQUIRE_FALSE(thick.empty);
    CHECK(mass(thick.pixels) > 1.6 * mass(thin.pixels));
    // Overlap with the original (both thresholded at 0.5), relative to the thinner of the two.
    int both = 0, in_thin = 0;
    for (std::size_t i = 0; i < img.size(); ++i) {
        both += img[i] > 0.5f && thin.pixels[i] > 0.5f;
        in_thin += thin.pixels[i] > 0.5f;
    }
    CHECK(both > 0.7 * in_thin);
    CHECK(redraw_digit(std::vector<float>(784, 0.0f).data(), 28, 28, 0.1f).empty);
    CHECK_THROWS_AS(redraw_digit(img.data(), 28, 28, 0.0f), Error);
}

TEST_CASE("Style augmentation: off by default, deterministic, in range, labelled marks") {
    AugmentOptions plain;
    CHECK(describe(plain) == "rotation 12, scale 0.1, shear 0.25, shift 2.5, elastic alpha 0 sigma 4");
    AugmentOptions o;
    o.redraw = 0.5f;
    o.marks = 1.0f;
    o.stray = 0.3f;
    o.stroke = 0.8f;
    CHECK(describe(o) == describe(plain) + ", redraw 0.5 pen 0.08-0.18, marks 1, stray 0.3, stroke 0.8");
    const std::vector<float> img = seven();
    Tensor x(16, Shape{28, 28, 1});
    std::vector<std::uint8_t> labels(16, 7);
    for (int i = 0; i < 16; ++i) std::copy(img.begin(), img.end(), x.sample(i));
    Tensor y = x;
    Rng r1(5), r2(5);
    ThreadPool pool(2);
    augment_batch(x, o, r1, nullptr, labels.data());
    augment_batch(y, o, r2, &pool, labels.data());
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(x.data()[i] == y.data()[i]);
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE((x.data()[i] >= 0.0f && x.data()[i] <= 1.0f));
    // The style shifts change images that the affine part alone leaves otherwise.
    Tensor z(16, Shape{28, 28, 1});
    for (int i = 0; i < 16; ++i) std::copy(img.begin(), img.end(), z.sample(i));
    Rng r3(5);
    augment_batch(z, plain, r3, nullptr, labels.data());
    int differ = 0;
    for (int i = 0; i < 16; ++i)
        differ += !std::equal(x.sample(i), x.sample(i) + 784, z.sample(i));
    CHECK(differ >= 12);
    o.pen_min = 0.3f;
    o.pen_max = 0.2f;
    CHECK_THROWS_AS(validate(o), Error);
}

TEST_CASE("Page-pen augmentation: redrawn digits come through the page's drawing path") {
    // Without affine changes, so that the widths measured are the drawing path's alone.
    AugmentOptions o;
    o.rotation = o.scale = o.shear = o.shift = 0.0f;
    o.redraw = 1.0f;
    o.pen_min = 0.17f;  // a bold redraw pen, outside the page's range...
    o.pen_max = 0.18f;
    AugmentOptions page = o;
    page.page_pen = 1.0f;  // ...which the page's path brings back into it
    CHECK(describe(page) == describe(o) + ", page pen 1");
    const std::vector<float> img = seven();
    const auto run = [&](const AugmentOptions& opts, ThreadPool* pool) {
        Tensor x(12, Shape{28, 28, 1});
        for (int i = 0; i < 12; ++i) std::copy(img.begin(), img.end(), x.sample(i));
        std::vector<std::uint8_t> labels(12, 7);
        Rng rng(9);
        augment_batch(x, opts, rng, pool, labels.data());
        return x;
    };
    ThreadPool pool(2);
    const Tensor bold = run(o, nullptr), drawn = run(page, nullptr), drawn2 = run(page, &pool);
    for (std::size_t i = 0; i < drawn.size(); ++i) REQUIRE(drawn.data()[i] == drawn2.data()[i]);
    const PenRange range;
    const auto width = [](const Tensor& t, int i) {
        return relative_pen_width(GrayImage{28, 28, std::vector<float>(t.sample(i), t.sample(i) + 784)});
    };
    // The 28x28 estimate is rough (it runs high on short bold strokes), so compare medians.
    std::vector<float> wb, wd;
    for (int i = 0; i < 12; ++i) {
        wb.push_back(width(bold, i));
        wd.push_back(width(drawn, i));
    }
    std::sort(wb.begin(), wb.end());
    std::sort(wd.begin(), wd.end());
    CHECK(wb[6] > range.max + 0.005f);
    CHECK(wd[6] > range.min - 0.01f);
    CHECK(wd[6] < range.max);
    CHECK(wd[6] < wb[6] - 0.015f);
    page.page_pen = 1.5f;
    CHECK_THROWS_AS(validate(page), Error);
}

TEST_CASE("The page's drawing path: small and large drawings come out with MNIST-like strokes") {
    // The page's pen is 8% of the pad: a 7 drawn 30% of the pad tall is bold, one 90% tall thin.
    const std::vector<Stroke> strokes = {{{0, 0}, {12, 0}, {5, 20}}};
    PadPlacement small, large;
    small.extent = 0.3f;
    small.cx = small.cy = 0.2f;
    large.extent = 0.9f;
    const GrayImage small_ink = draw_on_pad(strokes, small), large_ink = draw_on_pad(strokes, large);
    CHECK(relative_pen_width(small_ink) > 0.2f);
    CHECK(relative_pen_width(large_ink) < 0.1f);
    const Preprocessed a = preprocess_drawing(small_ink), b = preprocess_drawing(large_ink);
    const PenRange range;
    const auto width = [](const Preprocessed& p) { return relative_pen_width(GrayImage{28, 28, p.pixels}); };
    REQUIRE_FALSE(a.empty);
    REQUIRE_FALSE(b.empty);
    for (const Preprocessed* p : {&a, &b}) {
        CHECK(width(*p) > range.min - 0.02f);
        CHECK(width(*p) < range.max + 0.03f);  // the estimate runs high on short bold strokes (round caps)
    }
    // Without it the small drawing's strokes are 2.4 times as wide (relative to the digit).
    const double before = width(preprocess_digit(small_ink)) / width(preprocess_digit(large_ink));
    const double after = width(a) / width(b);
    CHECK(before > 2.0);
    CHECK(after < before - 0.5);
    // A drawing already in range goes through preprocess_digit untouched.
    PadPlacement mid;
    mid.extent = 0.55f;
    const GrayImage mid_ink = draw_on_pad(strokes, mid);
    REQUIRE(relative_pen_width(mid_ink) > range.min);
    REQUIRE(relative_pen_width(mid_ink) < range.max);
    CHECK(preprocess_drawing(mid_ink).pixels == preprocess_digit(mid_ink).pixels);
    CHECK(preprocess_drawing(GrayImage{10, 10, std::vector<float>(100, 0.0f)}).empty);
    // Faint ink around one solid pixel measures wider than any pen; eroding it would leave nothing,
    // so it goes through unchanged (found by fuzz_preprocess).
    GrayImage faint{50, 50, std::vector<float>(2500, 0.0f)};
    for (int y = 5; y < 45; ++y)
        for (int x = 5; x < 45; ++x) faint.pixels[std::size_t(y) * 50 + x] = 0.1f;
    faint.pixels[20 * 50 + 20] = 1.0f;
    REQUIRE(relative_pen_width(faint) > range.max);
    const Preprocessed f = preprocess_drawing(faint);
    CHECK_FALSE(f.empty);
    CHECK(f.pixels == preprocess_digit(faint).pixels);
    CHECK_THROWS_AS(preprocess_drawing(mid_ink, PenRange{0.2f, 0.1f}), Error);
}
