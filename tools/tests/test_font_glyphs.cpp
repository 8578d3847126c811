// Handwriting-font digits: the fonts are there, render as ink, respond to weight and slant the
// right way, and make a deterministic, balanced, MNIST-like set. Needs the fonts that
// scripts/setup.sh installs.
#include <algorithm>
#include <numeric>

#include <catch2/catch.hpp>

#include "cnn/base/error.hpp"
#include "cnn/image/preprocess.hpp"
#include "font_digit_set.hpp"
#include "font_glyphs.hpp"
#include "ink_topology.hpp"

using namespace tools;

namespace {

const std::vector<std::string>& fonts() {
    static const std::vector<std::string> files = handwriting_font_files();
    return files;
}

double ink(const cnn::GrayImage& img) { return std::accumulate(img.pixels.begin(), img.pixels.end(), 0.0); }

// Centre of mass x of the rows in [y0, y1).
double mass_x(const cnn::GrayImage& img, int y0, int y1) {
    double m = 0, mx = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = 0; x < img.width; ++x) {
            m += img.at(x, y);
            mx += img.at(x, y) * x;
        }
    return mx / m;
}

// How far right the top half's ink sits from the bottom half's.
double lean(const cnn::GrayImage& img) {
    return mass_x(img, 0, img.height / 2) - mass_x(img, img.height / 2, img.height);
}

}  // namespace

TEST_CASE("at least six handwriting fonts, each with all ten digits") {
    INFO("install the fonts with scripts/setup.sh");
    REQUIRE(fonts().size() >= 6);
    REQUIRE(std::is_sorted(fonts().begin(), fonts().end()));
    for (const auto& file : fonts()) {
        INFO(file);
        const FontGlyphs font(file);
        for (char32_t d = U'0'; d <= U'9'; ++d) CHECK(font.has_outline(d));
    }
}

TEST_CASE("every font's digits render as ink that preprocesses to MNIST-like density") {
    for (const auto& file : fonts()) {
        INFO(file);
        const FontGlyphs font(file);
        double mean = 0;
        for (char32_t d = U'0'; d <= U'9'; ++d) {
            const cnn::GrayImage img = font.render(d, {});
            REQUIRE(ink(img) > 0);
            const cnn::Preprocessed p = cnn::preprocess_digit(img);
            REQUIRE(!p.empty);
            mean += std::accumulate(p.pixels.begin(), p.pixels.end(), 0.0) / double(p.pixels.size()) / 10;
        }
        // MNIST's mean is 0.13.
        CHECK(mean > 0.05);
        CHECK(mean < 0.3);
    }
}

TEST_CASE("weight thickens or thins strokes without breaking the digit") {
    for (const auto& file : fonts()) {
        INFO(file);
        const FontGlyphs font(file);
        GlyphStyle s;
        const cnn::GrayImage plain = font.render(U'8', s);
        s.weight = 0.04f;
        CHECK(ink(font.render(U'8', s)) > ink(plain));
        s.weight = -0.02f;
        CHECK(ink(font.render(U'8', s)) < ink(plain));
        // Far more thinning than any stroke has: reduced until the 8 keeps its pieces and loops.
        s.weight = -0.3f;
        const cnn::GrayImage thin = font.render(U'8', s);
        CHECK(ink(thin) > 0.25 * ink(plain));
        const int min_area = int(0.0004f * s.pixel_height * s.pixel_height);
        CHECK(ink_topology(thin, 0.5f, min_area) == ink_topology(plain, 0.5f, min_area));
    }
}

TEST_CASE("positive slant leans the top to the right, negative to the left") {
    for (const auto& file : fonts()) {
        INFO(file);
        const FontGlyphs font(file);
        GlyphStyle s;
        const double upright = lean(font.render(U'1', s));
        s.slant = 0.3f;
        CHECK(lean(font.render(U'1', s)) > upright + 5);
        s.slant = -0.3f;
        CHECK(lean(font.render(U'1', s)) < upright - 5);
    }
}

TEST_CASE("make_font_digits is balanced and deterministic for a seed") {
    const FontDigitSet a = make_font_digits(fonts(), 60, 7);
    REQUIRE(a.count == 60);
    REQUIRE(a.pixels.size() == 60u * 784);
    REQUIRE(a.labels.size() == 60u);
    REQUIRE(a.font_index.size() == 60u);
    for (int i = 0; i < a.count; ++i) {
        CHECK(a.labels[std::size_t(i)] == i % 10);
        CHECK(a.font_index[std::size_t(i)] >= 0);
        CHECK(a.font_index[std::size_t(i)] < int(fonts().size()));
    }
    CHECK(*std::min_element(a.pixels.begin(), a.pixels.end()) >= 0.0f);
    CHECK(*std::max_element(a.pixels.begin(), a.pixels.end()) <= 1.0f);

    const FontDigitSet same = make_font_digits(fonts(), 60, 7);
    CHECK(same.pixels == a.pixels);
    CHECK(same.font_index == a.font_index);
    const FontDigitSet other = make_font_digits(fonts(), 60, 8);
    CHECK(other.pixels != a.pixels);
    // Sample i depends on the seed and i only.
    const FontDigitSet shorter = make_font_digits(fonts(), 20, 7);
    CHECK(std::equal(shorter.pixels.begin(), shorter.pixels.end(), a.pixels.begin()));
}

TEST_CASE("a missing font file throws naming the file") {
    const std::string missing = "/nonexistent/NoSuchHand.ttf";
    CHECK_THROWS_WITH(FontGlyphs(missing), Catch::Contains(missing));
    CHECK_THROWS_WITH(make_font_digits({missing}, 10, 1), Catch::Contains(missing));
    CHECK_THROWS_AS(make_font_digits({}, 10, 1), cnn::Error);
}
