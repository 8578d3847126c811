// Skeleton strokes: drawn strokes come back as their centre lines (ends, junctions and loops where
// they were drawn), and redrawing those gives the image back.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "cnn/base/error.hpp"
#include "cnn/image/skeleton.hpp"

using namespace cnn;

namespace {

constexpr float kPen = 2.5f;  // about an MNIST stroke

GrayImage drawn(const std::vector<Stroke>& strokes, int side = 28, float pen = kPen) {
    GrayImage g{side, side, std::vector<float>(std::size_t(side) * side, 0.0f)};
    for (const Stroke& s : strokes) draw_stroke(g, s, pen);
    return g;
}

std::vector<Stroke> skeleton_of(const GrayImage& g, const SkeletonOptions& o = {}) {
    return skeleton_strokes(g.pixels.data(), g.width, g.height, o);
}

float distance(Point2 a, Point2 b) {
    return std::hypot(a.x - b.x, a.y - b.y);
}

float length(const Stroke& s) {
    float len = 0;
    for (std::size_t i = 1; i < s.size(); ++i) len += distance(s[i - 1], s[i]);
    return len;
}

// Distance from p to the polyline s.
float distance_to(Point2 p, const Stroke& s) {
    float best = distance(p, s.front());
    for (std::size_t i = 1; i < s.size(); ++i) {
        const Point2 a = s[i - 1], b = s[i];
        const float dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
        const float t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0f, 1.0f) : 0.0f;
        best = std::min(best, distance(p, {a.x + t * dx, a.y + t * dy}));
    }
    return best;
}

// Intersection over union of the pixels above 0.35.
double ink_iou(const GrayImage& a, const GrayImage& b) {
    int both = 0, either = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) {
        const bool x = a.pixels[i] > 0.35f, y = b.pixels[i] > 0.35f;
        both += x && y;
        either += x || y;
    }
    return either ? double(both) / either : 1.0;
}

}  // namespace

TEST_CASE("skeleton of a thick line, straight or bent: one stroke along it, end to end") {
    const Point2 a{6, 8}, b{22, 20};
    const auto strokes = skeleton_of(drawn({{a, b}}));
    REQUIRE(strokes.size() == 1);
    const Stroke& s = strokes[0];
    REQUIRE(s.size() >= 2);
    const bool forward = distance(s.front(), a) < distance(s.front(), b);
    CHECK(distance(forward ? s.front() : s.back(), a) < 0.5f);
    CHECK(distance(forward ? s.back() : s.front(), b) < 0.5f);
    for (const Point2& p : s) CHECK(distance_to(p, {a, b}) < 0.25f);
    CHECK(s.size() <= 3);  // a straight line simplifies to (almost) its two ends

    // Bent, the corners of the simplified line are in the middle of the ink too.
    const Stroke bent = {{4, 15}, {14, 12}, {24, 15}};
    const auto b_strokes = skeleton_of(drawn({bent}, 28, 3.0f));
    REQUIRE(b_strokes.size() == 1);
    for (const Point2& p : b_strokes[0]) CHECK(distance_to(p, bent) < 0.15f);
}

TEST_CASE("skeleton of a ring: one closed stroke on the circle") {
    Stroke circle;
    for (int k = 0; k <= 48; ++k) {
        const float a = float(k) * 3.14159265f / 24;
        circle.push_back({14 + 8 * std::cos(a), 14 + 8 * std::sin(a)});
    }
    const auto strokes = skeleton_of(drawn({circle}));
    REQUIRE(strokes.size() == 1);
    const Stroke& s = strokes[0];
    REQUIRE(s.size() >= 8);
    CHECK(s.front().x == s.back().x);
    CHECK(s.front().y == s.back().y);
    Point2 centre{0, 0};  // of the polyline's length, which must not be off to one side
    for (std::size_t k = 0; k + 1 < s.size(); ++k) {
        CHECK(std::fabs(distance(s[k], {14, 14}) - 8) < 0.3f);
        const float w = distance(s[k], s[k + 1]) / length(s);
        centre.x += w * (s[k].x + s[k + 1].x) / 2, centre.y += w * (s[k].y + s[k + 1].y) / 2;
    }
    CHECK(distance(centre, {14, 14}) < 0.05f);
    CHECK(length(s) == Approx(2 * 3.14159 * 8).epsilon(0.03));
}

TEST_CASE("skeleton of a plus, an X and a T: branches meeting at the junction") {
    struct Shape {
        std::vector<Stroke> strokes;
        std::size_t branches;
        Point2 junction;
        float drawn_length;
    };
    const Shape shapes[] = {{{{{5, 14}, {23, 14}}, {{14, 5}, {14, 23}}}, 4, {14, 14}, 36},
                            // 70 degrees: thinning splits the crossing into two junctions a pixel apart
                            {{{{5.81f, 8.26f}, {22.19f, 19.74f}}, {{5.81f, 19.74f}, {22.19f, 8.26f}}}, 4, {14, 14}, 40},
                            {{{{5, 6}, {23, 6}}, {{14, 6}, {14, 23}}}, 3, {14, 6}, 35}};
    for (const Shape& shape : shapes) {
        CAPTURE(shape.branches);
        const auto strokes = skeleton_of(drawn(shape.strokes));
        REQUIRE(strokes.size() == shape.branches);
        float total = 0;
        std::vector<Point2> ends;  // each branch's end at the junction
        for (const Stroke& s : strokes) {
            REQUIRE(s.size() >= 2);
            const bool front = distance(s.front(), shape.junction) < distance(s.back(), shape.junction);
            ends.push_back(front ? s.front() : s.back());
            total += length(s);
        }
        for (const Point2& end : ends) {
            CHECK(distance(end, shape.junction) < 0.12f);
            CHECK(distance(end, ends[0]) < 1e-4f);  // all branches meet in one point
        }
        CHECK(total == Approx(shape.drawn_length).epsilon(0.03));
    }
}

TEST_CASE("skeleton without spurs: square ends, bumps, thick corners") {
    GrayImage bar{28, 28, std::vector<float>(784, 0.0f)};  // a filled rectangle, which thins to a fork at each end
    for (int y = 12; y < 16; ++y)
        for (int x = 4; x < 24; ++x) bar.pixels[std::size_t(y) * 28 + std::size_t(x)] = 1.0f;
    const auto strokes = skeleton_of(bar);
    REQUIRE(strokes.size() == 1);
    CHECK(strokes[0].size() == 2);
    for (const Point2& p : strokes[0]) CHECK(std::fabs(p.y - 14) < 0.1f);
    // A bump on a stroke is no branch.
    const auto bumpy = skeleton_of(drawn({{{4, 14}, {24, 14}}, {{14, 12.2f}}}));
    CHECK(bumpy.size() == 1);
    // Thick corners: one stroke round them, as long as drawn.
    const auto l = skeleton_of(drawn({{{6, 4}, {6, 22}, {22, 22}}}, 28, 5.0f));
    REQUIRE(l.size() == 1);
    CHECK(length(l[0]) == Approx(34).epsilon(0.05));
    const auto z = skeleton_of(drawn({{{6, 6}, {22, 6}, {6, 22}, {22, 22}}}, 28, 3.0f));
    REQUIRE(z.size() == 1);
    CHECK(length(z[0]) == Approx(32 + 16 * std::sqrt(2.0f)).epsilon(0.1));  // sharp corners are cut a little
}

TEST_CASE("skeleton of no ink is no strokes, and NaN pixels are background") {
    const GrayImage empty = drawn({});
    CHECK(skeleton_of(empty).empty());
    GrayImage nans = empty;
    for (float& v : nans.pixels) v = std::numeric_limits<float>::quiet_NaN();
    CHECK(skeleton_of(nans).empty());

    // NaN anywhere, on the ink too, reads exactly as 0 there.
    GrayImage with_nan = drawn({{{6, 6}, {22, 22}}, {{6, 22}, {14, 14}}});
    GrayImage with_zero = with_nan;
    for (std::size_t i = 0; i < with_nan.pixels.size(); i += 7) {
        with_nan.pixels[i] = std::numeric_limits<float>::quiet_NaN();
        with_zero.pixels[i] = 0;
    }
    const auto a = skeleton_of(with_nan), b = skeleton_of(with_zero);
    REQUIRE(!a.empty());
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        REQUIRE(a[k].size() == b[k].size());
        CHECK(std::memcmp(a[k].data(), b[k].data(), a[k].size() * sizeof(Point2)) == 0);
    }
}

TEST_CASE("redrawing the skeleton of a digit-like shape reproduces its ink") {
    const std::vector<std::vector<Stroke>> digits = {
        {{{17, 4}, {17, 24}}, {{17, 4}, {8, 17}, {21, 17}}},                                // 4
        {{{8, 6}, {20, 6}, {12, 23}}},                                                   // 7
        {{{9, 8}, {12, 5}, {17, 5}, {19, 9}, {16, 14}, {9, 22}, {20, 22}}},              // 2
        {{{18, 5}, {12, 10}, {9, 17}, {11, 22}, {16, 22}, {18, 17}, {14, 14}, {10, 17}}},  // 6
        {{{6, 6}, {22, 6}, {6, 22}, {22, 22}}},                                            // Z: sharp corners
    };
    for (std::size_t d = 0; d < digits.size(); ++d) {
        CAPTURE(d);
        const GrayImage original = drawn(digits[d]);
        const auto strokes = skeleton_of(original);
        REQUIRE(!strokes.empty());
        CHECK(ink_iou(original, drawn(strokes)) > 0.8);
    }
}

TEST_CASE("skeleton_strokes is deterministic") {
    const GrayImage g = drawn({{{17, 4}, {17, 24}}, {{17, 4}, {8, 17}, {21, 17}}, {{5, 5}}});
    const GrayImage copy = g;  // same values, different memory
    const auto a = skeleton_of(g), b = skeleton_of(copy), c = skeleton_of(g);
    REQUIRE(a.size() == b.size());
    REQUIRE(a.size() == c.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        REQUIRE(a[k].size() == b[k].size());
        REQUIRE(a[k].size() == c[k].size());
        CHECK(std::memcmp(a[k].data(), b[k].data(), a[k].size() * sizeof(Point2)) == 0);
        CHECK(std::memcmp(a[k].data(), c[k].data(), a[k].size() * sizeof(Point2)) == 0);
    }
}

TEST_CASE("skeleton: a pen dot is a one-point stroke, a speck is dropped") {
    GrayImage g = drawn({{{6, 6}}, {{20, 20}, {24, 20}}}, 28, 3.0f);
    g.pixels[std::size_t(22) * 28 + 6] = 0.5f;  // a single faint pixel
    const auto strokes = skeleton_of(g);
    REQUIRE(strokes.size() == 2);
    CHECK(strokes[0].size() >= 2);  // the line
    REQUIRE(strokes[1].size() == 1);
    CHECK(distance(strokes[1][0], {6, 6}) < 0.5f);
    SkeletonOptions no_pruning;  // the dot's skeleton, a pixel, has no length at all
    no_pruning.min_branch = 0;
    CHECK(skeleton_of(g, no_pruning).size() == 2);
}

TEST_CASE("skeleton_strokes refuses bad sizes and options") {
    const std::vector<float> pixels(16, 0.0f);
    CHECK_THROWS_AS(skeleton_strokes(pixels.data(), 0, 4), Error);
    CHECK_THROWS_WITH(skeleton_strokes(pixels.data(), -4, 4), Catch::Contains("-4x4"));
    CHECK_THROWS_WITH(skeleton_strokes(nullptr, 4, 4), Catch::Contains("without pixels"));
    CHECK_THROWS_WITH(skeleton_strokes(pixels.data(), 1 << 20, 1), Catch::Contains("at most"));
    const std::vector<float> page(1000 * 1000, 1.0f);  // a page of ink, not a digit
    CHECK_THROWS_WITH(skeleton_strokes(page.data(), 1000, 1000), Catch::Contains("3000x3000"));
    SkeletonOptions o;
    o.upsample = 0;
    CHECK_THROWS_WITH(skeleton_strokes(pixels.data(), 4, 4, o), Catch::Contains("upsample"));
    o = {};
    o.threshold = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(skeleton_strokes(pixels.data(), 4, 4, o), Catch::Contains("threshold"));
    o = {};
    o.simplify = -1;
    CHECK_THROWS_WITH(skeleton_strokes(pixels.data(), 4, 4, o), Catch::Contains("simplify"));
}
