// Data augmentation: identity at zero ranges, determinism for a seed and any thread count, pixel
// range, and bounds that keep a digit a digit (centre of mass, ink mass).
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/training/augment.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {
const Shape kDigit{28, 28, 1};

// A smooth "digit" whose centre of mass is the image centre: two Gaussian-profile strokes (a
// cross) within 7 px of the centre, so that no distortion in the default ranges crops it.
std::vector<float> centred_strokes() {
    std::vector<float> img(kDigit.size());
    const float c = 13.5f;
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            const float u = float(x) - c, v = float(y) - c;
            float ink = 0;
            if (std::fabs(u) <= 6.0f) ink = std::max(ink, std::exp(-v * v / 2.0f));  // horizontal bar
            if (std::fabs(v) <= 6.0f) ink = std::max(ink, std::exp(-u * u / 2.0f));  // vertical bar
            img[std::size_t(y) * 28 + x] = ink;
        }
    return img;
}

struct Moments {
    double mass = 0, x = 0, y = 0;
};
Moments moments(const float* img, const Shape& s) {
    Moments m;
    for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
            const double v = img[std::size_t(y) * s.w + x];
            m.mass += v;
            m.x += v * x;
            m.y += v * y;
        }
    m.x /= m.mass;
    m.y /= m.mass;
    return m;
}

Tensor random_batch(int n, const Shape& s, std::uint64_t seed) {
    Rng rng(seed);
    Tensor t(n, s);
    cnn_test::fill_random(t, rng, 0.0f, 1.0f);
    return t;
}

AugmentOptions with_elastic() {
    AugmentOptions o;
    o.elastic_alpha = 34.0f;  // Simard et al.'s values for 28x28 digits
    o.elastic_sigma = 4.0f;
    return o;
}
}  // namespace

TEST_CASE("augmentation with all ranges zero is the identity, bit for bit") {
    const AugmentOptions none{0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 4.0f};
    Tensor x = random_batch(5, {9, 7, 3}, 1);  // odd sizes and several channels
    const std::vector<float> before = x.vec();
    Rng rng(3);
    augment_batch(x, none, rng);
    CHECK(x.vec() == before);
    const AffineTransform a = random_affine(none, rng);
    CHECK(a.m[0] == 1.0f);
    CHECK(a.m[1] == 0.0f);
    CHECK(a.m[2] == 0.0f);
    CHECK(a.m[3] == 1.0f);
    CHECK(a.tx == 0.0f);
    CHECK(a.ty == 0.0f);
}

TEST_CASE("with deskew on, a distorted digit is deskewed last, exactly as a deskewing model's input is") {
    // A slanted stroke (x = 10 + 0.4 y): sheared further by the augmentation, upright afterwards.
    std::vector<float> img(kDigit.size(), 0.0f);
    for (int y = 4; y < 24; ++y)
        for (int dx = 0; dx < 2; ++dx) img[std::size_t(y) * 28 + std::size_t(8 + int(0.4f * float(y)) + dx)] = 1.0f;
    AugmentOptions o{0.0f, 0.0f, 0.25f, 0.0f, 0.0f, 4.0f};  // shear only
    std::vector<float> sheared(img.size()), straight(img.size());
    Rng a(5), b(5);
    augment_image(img.data(), sheared.data(), kDigit, o, a);
    o.deskew = true;
    augment_image(img.data(), straight.data(), kDigit, o, b);
    std::vector<float> expected = sheared;
    apply_input_preprocessing(InputPreprocessing::mnist_deskew, expected.data(), 28, 28);
    CHECK(straight == expected);
    // The ink's slant (covariance of x and y over var y) is near zero only after deskewing.
    const auto slant = [](const std::vector<float>& v) {
        double m = 0, mx = 0, my = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                const double w = v[std::size_t(y) * 28 + std::size_t(x)];
                m += w, mx += w * x, my += w * y;
            }
        mx /= m, my /= m;
        double cxy = 0, cyy = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                const double w = v[std::size_t(y) * 28 + std::size_t(x)];
                cxy += w * (x - mx) * (y - my), cyy += w * (y - my) * (y - my);
            }
        return cxy / cyy;
    };
    INFO("slant " << slant(img) << " as drawn, " << slant(sheared) << " sheared, " << slant(straight) << " deskewed");
    CHECK(std::fabs(slant(sheared)) > 0.2);
    CHECK(std::fabs(slant(straight)) < 0.05);
    CHECK(describe(o).find(", then deskewed") != std::string::npos);
}

TEST_CASE("augmentation is deterministic for a seed and independent of the thread count") {
    for (const AugmentOptions& o : {AugmentOptions{}, with_elastic()}) {
        const Tensor x = random_batch(21, kDigit, 2);  // more samples than one task
        auto run = [&](std::uint64_t seed, int threads) {
            ThreadPool pool(threads);
            Tensor t = x;
            Rng rng(seed);
            augment_batch(t, o, rng, &pool);
            return t.vec();
        };
        const auto a = run(9, 1);
        CHECK(a == run(9, 1));
        CHECK(a == run(9, 2));
        CHECK(a != run(10, 1));
        CHECK(a != x.vec());
        // Samples get different distortions: the same image twice in a batch comes out differently.
        Tensor twice(2, kDigit);
        std::copy(x.sample(0), x.sample(0) + kDigit.size(), twice.sample(0));
        std::copy(x.sample(0), x.sample(0) + kDigit.size(), twice.sample(1));
        Rng rng(4);
        augment_batch(twice, o, rng);
        CHECK_FALSE(std::equal(twice.sample(0), twice.sample(0) + kDigit.size(), twice.sample(1)));
    }
}

TEST_CASE("augmented pixels stay in [0, 1]") {
    AugmentOptions strong = with_elastic();
    strong.rotation = 45.0f;
    strong.scale = 0.5f;
    strong.shear = 0.8f;
    strong.elastic_alpha = 60.0f;
    for (const AugmentOptions& o : {AugmentOptions{}, with_elastic(), strong}) {
        Tensor x = random_batch(16, kDigit, 5);
        for (std::size_t i = 0; i < 28; ++i) x[i] = 1.0f;  // saturated pixels are the risky ones
        Rng rng(6);
        augment_batch(x, o, rng);
        float lo = 1, hi = 0;
        for (float v : x.vec()) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        CHECK(lo >= 0.0f);
        CHECK(hi <= 1.0f);
        CHECK(hi > 0.5f);
    }
}

TEST_CASE("an affine distortion moves the centre of mass by the shift and scales ink by the determinant") {
    const auto img = centred_strokes();
    const Moments m0 = moments(img.data(), kDigit);
    REQUIRE(m0.x == Approx(13.5).margin(1e-3));
    REQUIRE(m0.y == Approx(13.5).margin(1e-3));
    const AugmentOptions o;  // defaults: rotation 12, scale 0.1, shear 0.25, shift 2.5
    std::vector<float> out(img.size());
    Rng rng(8);
    double worst_com = 0, worst_mass = 0;
    for (int trial = 0; trial < 200; ++trial) {
        const AffineTransform a = random_affine(o, rng);
        CHECK(std::fabs(a.tx) <= o.shift);
        CHECK(std::fabs(a.ty) <= o.shift);
        warp_image(img.data(), out.data(), kDigit, a);
        const Moments m = moments(out.data(), kDigit);
        // A centred digit's centre of mass moves by exactly the shift (up to resampling error),
        // never further than the largest shift.
        const double dx = m.x - (13.5 + a.tx), dy = m.y - (13.5 + a.ty);
        worst_com = std::max(worst_com, std::hypot(dx, dy));
        CHECK(std::hypot(m.x - 13.5, m.y - 13.5) <= std::sqrt(2.0) * o.shift + 0.1);
        // Ink scales with the area: det = scale^2 (rotation and shear keep area).
        const double ratio = m.mass / m0.mass;
        worst_mass = std::max(worst_mass, std::fabs(ratio / a.determinant() - 1.0));
        CHECK(ratio >= 0.97 * (1 - o.scale) * (1 - o.scale));
        CHECK(ratio <= 1.03 * (1 + o.scale) * (1 + o.scale));
    }
    INFO("worst centre-of-mass error " << worst_com << " px, worst ink error " << worst_mass);
    CHECK(worst_com < 0.1);
    CHECK(worst_mass < 0.03);
}

TEST_CASE("random_affine draws within the ranges") {
    AugmentOptions o;
    o.shift = 0.0f;
    o.shear = 0.0f;
    o.scale = 0.0f;
    Rng rng(12);
    double largest = 0;
    for (int i = 0; i < 500; ++i) {
        const AffineTransform a = random_affine(o, rng);
        CHECK(a.determinant() == Approx(1.0f).epsilon(1e-5));  // pure rotation
        const double angle = std::atan2(a.m[2], a.m[0]) * 180.0 / 3.14159265358979;
        CHECK(std::fabs(angle) <= o.rotation + 1e-3);
        largest = std::max(largest, std::fabs(angle));
    }
    CHECK(largest > 0.9 * o.rotation);  // the whole range is used
}

TEST_CASE("elastic distortion: a smooth field bounded by alpha, label-preserving at MNIST settings") {
    Rng rng(13);
    std::vector<float> dx, dy;
    elastic_field(28, 28, 34.0f, 4.0f, rng, dx, dy);
    REQUIRE(dx.size() == 784);
    double largest = 0, sum = 0, roughness = 0;
    for (std::size_t i = 0; i < dx.size(); ++i) {
        largest = std::max({largest, double(std::fabs(dx[i])), double(std::fabs(dy[i]))});
        sum += std::fabs(dx[i]);
        if (i % 28) roughness += std::fabs(dx[i] - dx[i - 1]);
    }
    INFO("largest displacement " << largest << " px, mean " << sum / 784);
    CHECK(largest <= 34.0);
    CHECK(largest < 5.0);           // smoothed: a few pixels at Simard's settings
    CHECK(sum / 784 > 0.2);         // but not nothing
    CHECK(roughness / (28 * 27) < 0.3 * sum / 784 + 0.05);  // neighbours move together

    // The digit's centre of mass stays put to within the largest displacement.
    const auto img = centred_strokes();
    std::vector<float> out(img.size());
    warp_image(img.data(), out.data(), kDigit, AffineTransform{}, dx.data(), dy.data());
    const Moments m = moments(out.data(), kDigit);
    CHECK(std::hypot(m.x - 13.5, m.y - 13.5) <= largest);
    CHECK(out != img);

    // alpha 0: no displacement at all.
    elastic_field(28, 28, 0.0f, 4.0f, rng, dx, dy);
    for (float v : dx) REQUIRE(v == 0.0f);
}

TEST_CASE("bad augmentation options are refused with the option's name") {
    auto message = [](AugmentOptions o) {
        try {
            validate(o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    AugmentOptions o;
    CHECK(message(o) == "no error");
    o.rotation = -1;
    CHECK_THAT(message(o), Catch::Contains("rotation"));
    o = AugmentOptions{};
    o.scale = 1.0f;
    CHECK_THAT(message(o), Catch::Contains("scale range"));
    o = AugmentOptions{};
    o.shift = std::nanf("");
    CHECK_THAT(message(o), Catch::Contains("shift"));
    o = AugmentOptions{};
    o.elastic_alpha = 10;
    o.elastic_sigma = 0;
    CHECK_THAT(message(o), Catch::Contains("elastic sigma must be positive"));
    CHECK(describe(AugmentOptions{}) == "rotation 12, scale 0.1, shear 0.25, shift 2.5, elastic alpha 0 sigma 4");
}
