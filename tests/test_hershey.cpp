// Hershey stroke fonts: the record format (with pen-ups and continuation lines), the digit
// lookup, and the round pen the glyphs are drawn with.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "cnn/image/pen.hpp"
#include "hershey.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {
bool same(const Point2& p, float x, float y) {
    return p.x == x && p.y == y;
}
}  // namespace

TEST_CASE("Hershey records: extent, coordinates relative to 'R', pen-up") {
    // The "1" and "7" of the Roman simplex font (futural.jhf).
    const auto glyphs = parse_hershey("12345  5H\\NJPISFS[\n12345  6H\\YFO[ RKFYF\n", "test");
    REQUIRE(glyphs.size() == 2);
    const HersheyGlyph& one = glyphs[0];
    CHECK(one.number == 12345);
    CHECK(one.left == -10);  // 'H' - 'R'
    CHECK(one.right == 10);  // '\' - 'R'
    REQUIRE(one.strokes.size() == 1);
    REQUIRE(one.strokes[0].size() == 4);
    CHECK(same(one.strokes[0][0], -4, -8));
    CHECK(same(one.strokes[0][2], 1, -12));
    CHECK(same(one.strokes[0][3], 1, 9));  // y grows downwards: the foot is below the top
    const HersheyGlyph& seven = glyphs[1];
    REQUIRE(seven.strokes.size() == 2);  // " R" lifted the pen
    CHECK(same(seven.strokes[0][0], 7, -12));
    CHECK(same(seven.strokes[0][1], -3, 9));
    CHECK(same(seven.strokes[1][0], -7, -12));
    CHECK(same(seven.strokes[1][1], 7, -12));
}

TEST_CASE("Hershey records may continue on the next line; errors name the line") {
    const auto g = parse_hershey("  501  6H\\YFO[\r\n RKFYF\r\n", "wrapped");
    REQUIRE(g.size() == 1);
    CHECK(g[0].number == 501);
    CHECK(g[0].strokes.size() == 2);
    CHECK_THROWS_WITH(parse_hershey("12345  9H\\NJPISFS[\n", "short.jhf"),
                      Catch::Contains("short.jhf line 1") && Catch::Contains("declares 9"));
    CHECK_THROWS_WITH(parse_hershey("12345 xxH\\NJ\n", "bad.jhf"), Catch::Contains("bad.jhf line 1"));
    CHECK_THROWS_WITH(hershey_digit(g, 3, "tiny"), Catch::Contains("tiny has 1 glyphs"));
}

TEST_CASE("the installed Roman simplex font has its digits at glyph 16 + d") {
    std::ifstream in("/usr/share/hershey-fonts/futural.jhf");
    if (!in) {
        cnn_test::missing_data("the Hershey fonts (Debian package hershey-fonts-data)");
        return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const auto font = parse_hershey(ss.str(), "futural.jhf");
    CHECK(font.size() == 96);
    const HersheyGlyph& one = hershey_digit(font, 1, "futural.jhf");
    REQUIRE(one.strokes.size() == 1);
    CHECK(one.strokes[0].size() == 4);
    CHECK(hershey_digit(font, 0, "futural.jhf").strokes[0].size() == 17);  // one closed loop
}

TEST_CASE("the round pen: full ink along the stroke, anti-aliased edges, dots") {
    GrayImage g{40, 20, std::vector<float>(800, 0.0f)};
    draw_stroke(g, {{5, 10}, {35, 10}}, 6.0f);
    CHECK(g.at(20, 9) == 1.0f);
    CHECK(g.at(20, 14) == 0.0f);
    double mass = 0;
    for (float v : g.pixels) mass += v;
    CHECK(mass == Approx(30 * 6 + 3.14159 * 9).epsilon(0.05));  // rectangle + two half discs
    GrayImage dot{10, 10, std::vector<float>(100, 0.0f)};
    draw_stroke(dot, {{5, 5}}, 4.0f);
    CHECK(dot.at(4, 4) == 1.0f);
    CHECK(dot.at(0, 0) == 0.0f);
    const Stroke fine = subdivide({{0, 0}, {10, 0}}, 3.0f);
    CHECK(fine.size() == 5);
    CHECK(same(fine.back(), 10, 0));
}
