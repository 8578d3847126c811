// Moment-based deskewing and the input preprocessing that weights files record.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/json_field.hpp"
#include "cnn/image/deskew.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/image/pen.hpp"
#include "cnn/io/weights_io.hpp"

using namespace cnn;

namespace {

// An upright "4"-like figure in 28x28 (no slant), sheared by `shear` (x shift per row down)
// about row 14.
std::vector<float> figure(float shear) {
    GrayImage g{28, 28, std::vector<float>(784, 0.0f)};
    auto p = [&](float x, float y) { return Point2{x + shear * (y - 14.0f), y}; };
    draw_stroke(g, {p(17, 4), p(17, 24)}, 2.5f);            // the upright
    draw_stroke(g, {p(17, 4), p(8, 17), p(21, 17)}, 2.5f);  // the diagonal and the bar
    return g.pixels;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
    return m;
}

}  // namespace

TEST_CASE("deskew makes a sheared digit upright") {
    const std::vector<float> upright = figure(0.0f);
    for (float shear : {-0.4f, 0.3f}) {
        CAPTURE(shear);
        const std::vector<float> slanted = figure(shear);
        const double before = skew(slanted.data(), 28, 28);
        CHECK(std::fabs(before - (shear + skew(upright.data(), 28, 28))) < 0.05);
        const std::vector<float> fixed = deskew(slanted.data(), 28, 28);
        CHECK(std::fabs(skew(fixed.data(), 28, 28)) < 0.02);
        // Straightened, the slanted figure matches the straightened upright one.
        const std::vector<float> reference = deskew(upright.data(), 28, 28);
        double diff = 0, mass = 0;
        for (std::size_t i = 0; i < 784; ++i) {
            diff += std::fabs(fixed[i] - reference[i]);
            mass += reference[i];
        }
        CHECK(diff / mass < 0.25);
    }
}

TEST_CASE("deskew leaves an image without slant (nearly) as it is") {
    // Symmetric about its vertical axis: cov(x, y) is exactly 0.
    GrayImage g{28, 28, std::vector<float>(784, 0.0f)};
    draw_stroke(g, {{14, 4}, {14, 24}}, 3.0f);
    draw_stroke(g, {{8, 10}, {20, 10}}, 3.0f);
    CHECK(std::fabs(skew(g.pixels.data(), 28, 28)) < 1e-9);
    CHECK(max_abs_diff(deskew(g.pixels.data(), 28, 28), g.pixels) < 1e-6);
    // An empty image and a single row have no slant to remove.
    const std::vector<float> empty(784, 0.0f);
    CHECK(deskew(empty.data(), 28, 28) == empty);
    std::vector<float> row(784, 0.0f);
    for (int x = 3; x < 20; ++x) row[14 * 28 + std::size_t(x)] = 1.0f;
    CHECK(deskew(row.data(), 28, 28) == row);
}

TEST_CASE("deskew limits the shear and keeps the centre of mass") {
    const std::vector<float> slanted = figure(0.35f);
    const Moments before = image_moments(slanted.data(), 28, 28);
    const std::vector<float> fixed = deskew(slanted.data(), 28, 28);
    const Moments after = image_moments(fixed.data(), 28, 28);
    CHECK(after.cx == Approx(before.cx).margin(0.3));
    CHECK(after.cy == Approx(before.cy).margin(0.3));
    CHECK(after.mass == Approx(before.mass).epsilon(0.05));
    // Limited to 0.1: only part of the slant is removed.
    const std::vector<float> limited = deskew(slanted.data(), 28, 28, 0.1);
    const double left = skew(limited.data(), 28, 28);
    CHECK(left > 0.15);
    CHECK(left < skew(slanted.data(), 28, 28));
}

TEST_CASE("json_string_field reads one top-level string and nothing else") {
    const std::string m =
        R"({"training": {"preprocessing": "nested"}, "note": "\"preprocessing\": \"fake\"",)"
        R"( "n": -1.5e3, "ok": [true, null, {"a": []}], "preprocessing": "mnist+deskew", "u": "\u00e9"})";
    CHECK(json_string_field(m, "preprocessing") == std::optional<std::string>("mnist+deskew"));
    CHECK(json_string_field(m, "u") == std::optional<std::string>("\xc3\xa9"));
    CHECK_FALSE(json_string_field(m, "missing").has_value());
    CHECK_FALSE(json_string_field("", "preprocessing").has_value());
    CHECK_FALSE(json_string_field(" {} ", "preprocessing").has_value());
    CHECK_THROWS_WITH(json_string_field(R"({"preprocessing": 3})", "preprocessing"),
                      Catch::Contains("not a string"));
    CHECK_THROWS_WITH(json_string_field(R"({"preprocessing": "mnist")", "preprocessing"),
                      Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(json_string_field("[1]", "preprocessing"), Catch::Contains("expected '{'"));
    CHECK_THROWS(json_string_field(R"({"a": tru})", "b"));
    CHECK_THROWS(json_string_field(R"({"a": "x"} trailing)", "a"));
}

TEST_CASE("input preprocessing names and metadata") {
    CHECK(parse_input_preprocessing("mnist") == InputPreprocessing::mnist);
    CHECK(parse_input_preprocessing("mnist+deskew") == InputPreprocessing::mnist_deskew);
    CHECK_THROWS_WITH(parse_input_preprocessing("mnist+blur"), Catch::Contains("known: mnist, mnist+deskew"));
    CHECK(input_preprocessing_from_metadata("{}") == InputPreprocessing::mnist);
    CHECK(input_preprocessing_from_metadata("") == InputPreprocessing::mnist);
    CHECK(input_preprocessing_from_metadata(R"({"preprocessing": "mnist"})") == InputPreprocessing::mnist);
    CHECK_THROWS_WITH(input_preprocessing_from_metadata(R"({"preprocessing": "zca"})"),
                      Catch::Contains("'zca'"));
}

TEST_CASE("a weights file that says mnist+deskew gets deskewed inputs") {
    Model model = Model::from_spec("input 28x28x1 | flatten | dense 10", 1);
    const std::vector<std::uint8_t> file =
        encode_weights(model, R"({"spec": "x", "preprocessing": "mnist+deskew", "training": {"epochs": 1}})");
    std::string metadata;
    decode_weights(file.data(), file.size(), &metadata);
    REQUIRE(input_preprocessing_from_metadata(metadata) == InputPreprocessing::mnist_deskew);

    const std::vector<float> slanted = figure(0.4f);
    std::vector<float> input = slanted;
    apply_input_preprocessing(metadata, input);
    CHECK(input == deskew(slanted.data(), 28, 28));

    // "mnist" leaves inputs alone, and so does a data set under it.
    std::vector<float> same = slanted;
    apply_input_preprocessing(R"({"preprocessing": "mnist"})", same);
    CHECK(same == slanted);
    Dataset d;
    d.n = 2;
    d.images = slanted;
    d.images.insert(d.images.end(), slanted.begin(), slanted.end());
    d.labels = {4, 4};
    apply_input_preprocessing(InputPreprocessing::mnist_deskew, d);
    CHECK(std::vector<float>(d.images.begin() + 784, d.images.end()) == deskew(slanted.data(), 28, 28));
    std::vector<float> not_square(10, 0.0f);
    CHECK_THROWS_WITH(apply_input_preprocessing(metadata, not_square), Catch::Contains("not a square"));
}
