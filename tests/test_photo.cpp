// Photos of a digit on paper: synthetic photos (lit unevenly, noisy, slightly rotated, dirty, in
// both polarities) must come out of ink_from_photo + preprocess_digit like the clean drawing does.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/rng.hpp"
#include "cnn/image/components.hpp"
#include "cnn/image/otsu.hpp"
#include "cnn/image/pen.hpp"
#include "cnn/image/photo.hpp"

using namespace cnn;

namespace {

// A thick "7" (top bar and a diagonal) on a w x h canvas, rotated by `degrees` about the centre.
GrayImage seven(int w, int h, float degrees) {
    const float a = degrees * 3.14159265f / 180.0f, cx = w / 2.0f, cy = h / 2.0f;
    auto rot = [&](float x, float y) {
        const float dx = x - cx, dy = y - cy;
        return Point2{cx + std::cos(a) * dx - std::sin(a) * dy, cy + std::sin(a) * dx + std::cos(a) * dy};
    };
    GrayImage g{w, h, std::vector<float>(std::size_t(w) * h, 0.0f)};
    draw_stroke(g, {rot(0.32f * w, 0.22f * h), rot(0.68f * w, 0.22f * h), rot(0.45f * w, 0.8f * h)},
                0.06f * h);
    return g;
}

struct Speck {
    int x, y;
};

// Photographs `ink`: paper (or board) reflectance, light that falls off along a tilted direction
// from 1.0 to 0.5, Gaussian sensor noise, and dark specks of dirt at `specks`.
GrayImage photograph(const GrayImage& ink, bool dark_ink, float noise, const std::vector<Speck>& specks,
                     std::uint64_t seed) {
    Rng rng(seed);
    const float ground = dark_ink ? 0.85f : 0.12f, pen = dark_ink ? 0.12f : 0.85f;
    GrayImage lum{ink.width, ink.height, std::vector<float>(ink.pixels.size())};
    for (int y = 0; y < ink.height; ++y)
        for (int x = 0; x < ink.width; ++x) {
            const float u = (0.8f * x + 0.6f * y) / (0.8f * ink.width + 0.6f * ink.height);
            const float light = 1.0f - 0.5f * u;
            float refl = ground + (pen - ground) * ink.at(x, y);
            for (const Speck& s : specks)
                if (std::hypot(x - s.x, y - s.y) <= 2.5f) refl = dark_ink ? 0.2f : 0.8f;
            lum.pixels[std::size_t(y) * ink.width + x] =
                std::clamp(light * refl + noise * rng.normal(), 0.0f, 1.0f);
        }
    return lum;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ma += a[i];
        mb += b[i];
    }
    ma /= double(a.size());
    mb /= double(b.size());
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

// Best correlation over shifts of up to one pixel: preprocess_digit centres by an integer shift,
// which a rounding can move by one pixel between two renderings of the same digit.
double match(const Preprocessed& a, const Preprocessed& b) {
    const int n = a.size;
    double best = -1;
    for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
            std::vector<float> shifted(a.pixels.size(), 0.0f);
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    const int sx = x + dx, sy = y + dy;
                    if (sx >= 0 && sy >= 0 && sx < n && sy < n)
                        shifted[std::size_t(y) * n + x] = a.pixels[std::size_t(sy) * n + sx];
                }
            best = std::max(best, correlation(shifted, b.pixels));
        }
    return best;
}

const std::vector<Speck> kSpecks = {{20, 20}, {260, 30}, {30, 200}, {250, 210}, {140, 15}};

}  // namespace

TEST_CASE("a dark digit photographed on unevenly lit, noisy, dirty paper preprocesses like the drawing") {
    const GrayImage clean = seven(280, 240, 4.0f);
    const Preprocessed want = preprocess_digit(clean);
    REQUIRE_FALSE(want.empty);
    for (float noise : {0.0f, 0.03f, 0.06f, 0.15f}) {
        CAPTURE(noise);
        const PhotoInk got = ink_from_photo(photograph(clean, true, noise, kSpecks, 11));
        REQUIRE_FALSE(got.empty);
        CHECK(got.dark_on_light);
        CHECK(got.components_kept == 1);
        if (noise == 0.0f) CHECK(got.components_dropped == int(kSpecks.size()));
        for (const Speck& s : kSpecks) CHECK(got.ink.at(s.x, s.y) == 0.0f);  // dirt removed
        const Preprocessed p = preprocess_digit(got.ink);
        REQUIRE_FALSE(p.empty);
        CHECK(match(p, want) > 0.97);
    }
}

TEST_CASE("light ink on a dark board is read with the other polarity") {
    const GrayImage clean = seven(260, 260, -3.0f);
    const Preprocessed want = preprocess_digit(clean);
    const PhotoInk got = ink_from_photo(photograph(clean, false, 0.04f, {}, 12));
    REQUIRE_FALSE(got.empty);
    CHECK_FALSE(got.dark_on_light);
    CHECK(match(preprocess_digit(got.ink), want) > 0.97);
    CHECK_FALSE(is_dark_on_light(photograph(clean, false, 0.0f, {}, 1)));
    CHECK(is_dark_on_light(photograph(clean, true, 0.0f, {}, 1)));
}

TEST_CASE("polarity does not follow the mean brightness: dim paper and a bright small board") {
    const GrayImage clean = seven(200, 200, 0.0f);
    // Paper photographed in the dark: mean luminance well under 0.5, yet the ink is darker.
    GrayImage dim = photograph(clean, true, 0.01f, {}, 3);
    for (float& v : dim.pixels) v *= 0.4f;
    CHECK(is_dark_on_light(dim));
    const PhotoInk p = ink_from_photo(dim);
    REQUIRE_FALSE(p.empty);
    CHECK(p.dark_on_light);
    CHECK(match(preprocess_digit(p.ink), preprocess_digit(clean)) > 0.97);
}

TEST_CASE("a sheet photographed slightly rotated on a dark table: the table is not the digit") {
    const int w = 300, h = 260;
    const GrayImage clean = seven(w, h, 2.0f);
    GrayImage lum = photograph(clean, true, 0.03f, {}, 5);
    // The sheet is turned by 6 degrees, so dark table shows in the corners.
    const float a = 6.0f * 3.14159265f / 180.0f;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float dx = x - w / 2.0f, dy = y - h / 2.0f;
            const float u = std::cos(a) * dx + std::sin(a) * dy, v = -std::sin(a) * dx + std::cos(a) * dy;
            if (std::fabs(u) > 0.47f * w || std::fabs(v) > 0.45f * h)
                lum.pixels[std::size_t(y) * w + x] = 0.2f;
        }
    const PhotoInk got = ink_from_photo(lum);
    REQUIRE_FALSE(got.empty);
    CHECK(got.dark_on_light);
    CHECK(match(preprocess_digit(got.ink), preprocess_digit(clean)) > 0.97);
}

TEST_CASE("blank paper, however lit and noisy, has no digit") {
    const GrayImage nothing{240, 200, std::vector<float>(240 * 200, 0.0f)};
    for (float noise : {0.0f, 0.05f}) {
        const PhotoInk got = ink_from_photo(photograph(nothing, true, noise, {}, 9));
        CHECK(got.empty);
        CHECK(preprocess_digit(got.ink).empty);
    }
    // A lone speck is dirt, not a digit.
    const PhotoInk speck = ink_from_photo(photograph(nothing, true, 0.02f, {{100, 100}}, 9));
    CHECK(preprocess_digit(speck.ink).empty);
}

TEST_CASE("a clean drawing passes through the photo pipeline unchanged in shape") {
    const GrayImage clean = seven(280, 280, 0.0f);
    GrayImage lum = clean;
    for (float& v : lum.pixels) v = 1.0f - v;  // dark strokes on white, anti-aliased
    const PhotoInk got = ink_from_photo(lum);
    REQUIRE_FALSE(got.empty);
    CHECK(correlation(got.ink.pixels, clean.pixels) > 0.999);
    // Anti-aliased edges stay grey.
    int greys = 0;
    for (float v : got.ink.pixels) greys += v > 0.1f && v < 0.9f;
    CHECK(greys > 100);
}

TEST_CASE("large photos are scaled down first") {
    const GrayImage clean = seven(1200, 900, 1.0f);
    PhotoOptions o;
    o.max_side = 400;
    const PhotoInk got = ink_from_photo(photograph(clean, true, 0.02f, {}, 4), o);
    REQUIRE_FALSE(got.empty);
    CHECK(got.ink.width == 400);
    CHECK(got.ink.height == 300);
    CHECK(match(preprocess_digit(got.ink), preprocess_digit(clean)) > 0.97);
}

TEST_CASE("ink_from_gray: mean polarity and the median as background") {
    // MNIST-style: white digit on black.
    GrayImage light{10, 10, std::vector<float>(100, 0.0f)};
    for (int y = 2; y < 8; ++y) light.pixels[std::size_t(y) * 10 + 5] = 1.0f;
    bool dark = true;
    const GrayImage a = ink_from_gray(light, &dark);
    CHECK_FALSE(dark);
    CHECK(a.pixels == light.pixels);
    // Dark ink on grey paper: paper becomes 0, the ink 1.
    GrayImage paper{10, 10, std::vector<float>(100, 0.8f)};
    for (int y = 2; y < 8; ++y) paper.pixels[std::size_t(y) * 10 + 5] = 0.0f;
    const GrayImage b = ink_from_gray(paper, &dark);
    CHECK(dark);
    CHECK(b.at(0, 0) == Approx(0.0f));
    CHECK(b.at(5, 4) == Approx(1.0f));
}

TEST_CASE("luminance_from_rgba puts transparent pixels on white paper") {
    const std::uint8_t px[8] = {0, 0, 0, 0, 255, 255, 255, 255};
    const GrayImage g = luminance_from_rgba(px, 2, 1);
    CHECK(g.pixels[0] == Approx(1.0f));
    CHECK(g.pixels[1] == Approx(1.0f));
    const std::uint8_t black[4] = {0, 0, 0, 255};
    CHECK(luminance_from_rgba(black, 1, 1).pixels[0] == Approx(0.0f));
    CHECK_THROWS_WITH(luminance_from_rgba(black, 0, 1), Catch::Contains("0x1"));
}

TEST_CASE("photo functions refuse malformed images with a message") {
    GrayImage bad{10, 10, std::vector<float>(99, 0.0f)};
    CHECK_THROWS_WITH(ink_from_photo(bad), Catch::Contains("99 pixels"));
    CHECK_THROWS_WITH(ink_from_gray(bad), Catch::Contains("99 pixels"));
    // NaN reads as paper, not as ink.
    GrayImage nan = seven(100, 100, 0.0f);
    for (float& v : nan.pixels) v = 1.0f - v;
    nan.pixels[0] = std::nanf("");
    CHECK_FALSE(ink_from_photo(nan).empty);
}

TEST_CASE("Otsu splits two levels between them") {
    std::vector<float> v(100, 0.2f);
    for (int i = 0; i < 30; ++i) v[std::size_t(i)] = 0.8f;
    const float t = otsu_threshold(v.data(), v.size());
    CHECK(t > 0.2f);
    CHECK(t < 0.8f);
    const std::vector<float> flat(10, 0.3f);
    CHECK(otsu_threshold(flat.data(), flat.size()) == 0.5f);
}

TEST_CASE("connected components: 8-connectivity, areas, boxes, border contact") {
    // 5x4 mask: a diagonal pair (one component under 8-connectivity) and a lone pixel on the edge.
    const std::vector<std::uint8_t> m = {0, 0, 0, 0, 0,  //
                                         0, 1, 0, 0, 0,  //
                                         0, 0, 1, 0, 1,  //
                                         0, 0, 0, 0, 0};
    std::vector<int> labels;
    const auto c = label_components(m, 5, 4, labels);
    REQUIRE(c.size() == 2);
    CHECK(c[0].area == 2);
    CHECK(c[0].x0 == 1);
    CHECK(c[0].y1 == 2);
    CHECK_FALSE(c[0].touches_border);
    CHECK(c[1].area == 1);
    CHECK(c[1].touches_border);
    CHECK(labels[6] == 1);
    CHECK(labels[12] == 1);
    CHECK(labels[14] == 2);
    CHECK(bbox_gap(c[0], c[1]) == 1);
}
