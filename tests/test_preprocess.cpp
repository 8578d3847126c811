// Drawn-digit preprocessing on synthetic images: size normalisation, centring, invariance to
// position and scale, empty input.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/image/preprocess.hpp"

using namespace cnn;

namespace {
// A thick "7"-like stroke figure drawn at an offset and scale on a w x h canvas.
GrayImage draw_seven(int w, int h, double ox, double oy, double scale) {
    GrayImage g{w, h, std::vector<float>(std::size_t(w) * h, 0.0f)};
    auto stamp = [&](double x, double y) {
        const double r = 1.6 * scale;
        for (int yy = int(y - r - 1); yy <= int(y + r + 1); ++yy)
            for (int xx = int(x - r - 1); xx <= int(x + r + 1); ++xx) {
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                const double d = std::hypot(xx + 0.5 - x, yy + 0.5 - y);
                const float v = float(std::clamp(r + 0.5 - d, 0.0, 1.0));
                float& p = g.pixels[std::size_t(yy) * w + xx];
                p = std::max(p, v);
            }
    };
    for (double t = 0; t <= 1; t += 0.01) stamp(ox + scale * (2 + 12 * t), oy + scale * 2);       // top bar
    for (double t = 0; t <= 1; t += 0.01) stamp(ox + scale * (14 - 8 * t), oy + scale * (2 + 18 * t));  // diagonal
    return g;
}

void bbox(const Preprocessed& p, int& x0, int& y0, int& x1, int& y1) {
    x0 = y0 = 99;
    x1 = y1 = -1;
    for (int y = 0; y < p.size; ++y)
        for (int x = 0; x < p.size; ++x)
            if (p.pixels[std::size_t(y) * p.size + x] > 0.05f) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
}
}  // namespace

TEST_CASE("a drawing becomes a 20x20-fitted digit centred by mass in 28x28") {
    const Preprocessed p = preprocess_digit(draw_seven(280, 280, 60, 40, 8.0));
    REQUIRE_FALSE(p.empty);
    REQUIRE(p.pixels.size() == 784);
    int x0, y0, x1, y1;
    bbox(p, x0, y0, x1, y1);
    CHECK(std::max(x1 - x0 + 1, y1 - y0 + 1) == 20);  // longest side fills the 20-pixel box
    GrayImage img{28, 28, p.pixels};
    double cx, cy;
    centre_of_mass(img, cx, cy);
    CHECK(std::fabs(cx - 13.5) <= 0.5);
    CHECK(std::fabs(cy - 13.5) <= 0.5);
    float peak = 0;
    for (float v : p.pixels) {
        REQUIRE(v >= 0.0f);
        REQUIRE(v <= 1.0f);
        peak = std::max(peak, v);
    }
    CHECK(peak == Approx(1.0f));  // full contrast like MNIST
    // Anti-aliased: there are intermediate grey levels, not just 0 and 1.
    int greys = 0;
    for (float v : p.pixels) greys += v > 0.1f && v < 0.9f;
    CHECK(greys > 10);
}

TEST_CASE("shifted and scaled copies of a digit land in the same place") {
    const Preprocessed a = preprocess_digit(draw_seven(280, 280, 20, 20, 8.0));
    const Preprocessed b = preprocess_digit(draw_seven(280, 280, 140, 90, 8.0));  // moved
    const Preprocessed c = preprocess_digit(draw_seven(400, 300, 10, 5, 12.0));   // bigger, other canvas
    const Preprocessed d = preprocess_digit(draw_seven(64, 64, 3, 3, 2.5));       // small canvas: enlarged
    for (const auto* q : {&b, &c, &d}) {
        REQUIRE_FALSE(q->empty);
        double diff = 0, mass = 0;
        for (std::size_t i = 0; i < 784; ++i) {
            diff += std::fabs(a.pixels[i] - q->pixels[i]);
            mass += a.pixels[i];
        }
        CHECK(diff / mass < 0.35);  // same digit in the same place, up to resampling
        int ax0, ay0, ax1, ay1, qx0, qy0, qx1, qy1;
        bbox(a, ax0, ay0, ax1, ay1);
        bbox(*q, qx0, qy0, qx1, qy1);
        CHECK(std::abs(ax0 - qx0) <= 1);
        CHECK(std::abs(ay0 - qy0) <= 1);
        CHECK(std::abs(ax1 - qx1) <= 1);
        CHECK(std::abs(ay1 - qy1) <= 1);
    }
    // Exact translation by whole pixels gives exactly the same result.
    const Preprocessed e = preprocess_digit(draw_seven(280, 280, 21, 20, 8.0));
    const Preprocessed f = preprocess_digit(draw_seven(280, 280, 21 + 37, 20 + 11, 8.0));
    CHECK(e.pixels == f.pixels);
}

TEST_CASE("empty or invisible input is reported as empty") {
    GrayImage blank{100, 80, std::vector<float>(8000, 0.0f)};
    CHECK(preprocess_digit(blank).empty);
    GrayImage faint{100, 80, std::vector<float>(8000, 0.01f)};
    CHECK(preprocess_digit(faint).empty);
    GrayImage nan{10, 10, std::vector<float>(100, std::nanf(""))};
    CHECK(preprocess_digit(nan).empty);
    GrayImage bad{10, 10, std::vector<float>(5, 0.0f)};
    CHECK_THROWS(preprocess_digit(bad));
}

TEST_CASE("a single dot or a thin line still gives a valid image") {
    GrayImage dot{50, 50, std::vector<float>(2500, 0.0f)};
    dot.pixels[25 * 50 + 10] = 1.0f;
    const Preprocessed p = preprocess_digit(dot);
    REQUIRE_FALSE(p.empty);
    GrayImage line{200, 200, std::vector<float>(40000, 0.0f)};
    for (int y = 20; y < 180; ++y) line.pixels[y * 200 + 100] = 1.0f;  // a "1" one pixel wide
    const Preprocessed q = preprocess_digit(line);
    REQUIRE_FALSE(q.empty);
    int x0, y0, x1, y1;
    bbox(q, x0, y0, x1, y1);
    CHECK(y1 - y0 + 1 == 20);
    CHECK(x1 - x0 + 1 <= 2);
}

TEST_CASE("canvas RGBA becomes ink: dark on light, transparent as background") {
    const std::uint8_t rgba[] = {0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 128, 128, 128, 255};
    const GrayImage g = ink_from_rgba(rgba, 2, 2);
    CHECK(g.pixels[0] == Approx(1.0f));
    CHECK(g.pixels[1] == Approx(0.0f));
    CHECK(g.pixels[2] == Approx(0.0f));
    CHECK(g.pixels[3] == Approx(0.498f).margin(0.01));
}
