// Test helper (not part of the product): writes small synthetic data sets so that the CLI tests
// need no MNIST download. Three digit-like classes that a CNN separates within an epoch or two:
//   0: a ring, 1: a vertical stroke, 7: a top bar with a diagonal down to the left.
// Usage: make-synthetic-data OUTDIR
// Writes OUTDIR/{train,test}-{images,labels}.idx, digit0.png (dark ring on light paper, RGB),
// digit1.pgm (white stroke on black, binary PGM), blank.png (white, no ink) and photo7.png (a
// dark 7 photographed on unevenly lit, noisy paper with specks of dirt).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <stb_image_write.h>

#include "cnn/base/rng.hpp"
#include "cnn/io/idx.hpp"

namespace {

struct Canvas {
    int w, h;
    std::vector<float> ink;  // 0..1

    Canvas(int w_, int h_) : w(w_), h(h_), ink(std::size_t(w_) * h_, 0.0f) {}

    // Anti-aliased: coverage falls off over one pixel at the edge of a stroke of width `thick`.
    template <class Dist>
    void draw(Dist dist, float thick, float value) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float d = dist(x + 0.5f, y + 0.5f);
                const float a = std::clamp(thick / 2 - d + 0.5f, 0.0f, 1.0f) * value;
                float& p = ink[std::size_t(y) * w + x];
                p = std::max(p, a);
            }
    }
    void segment(float x0, float y0, float x1, float y1, float thick, float value) {
        draw(
            [=](float px, float py) {
                const float dx = x1 - x0, dy = y1 - y0;
                const float t =
                    std::clamp(((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy), 0.0f, 1.0f);
                return std::hypot(px - (x0 + t * dx), py - (y0 + t * dy));
            },
            thick, value);
    }
    void ring(float cx, float cy, float rx, float ry, float thick, float value) {
        draw(
            [=](float px, float py) {
                // Approximate distance to an ellipse: good enough for drawing.
                const float nx = (px - cx) / rx, ny = (py - cy) / ry;
                const float r = std::sqrt(nx * nx + ny * ny);
                return std::fabs(r - 1.0f) * std::min(rx, ry);
            },
            thick, value);
    }
};

// One digit of class `label` drawn in a size x size canvas (scale 1 = MNIST's 28x28).
Canvas draw_digit(int label, float size, cnn::Rng& rng) {
    const int n = int(size);
    Canvas c(n, n);
    const float s = size / 28.0f;
    const float cx = 14 * s + rng.uniform(-2, 2) * s, cy = 14 * s + rng.uniform(-2, 2) * s;
    const float thick = rng.uniform(1.8f, 3.0f) * s, value = rng.uniform(0.85f, 1.0f);
    if (label == 0) {
        c.ring(cx, cy, rng.uniform(4.5f, 6.5f) * s, rng.uniform(7.0f, 9.0f) * s, thick, value);
    } else if (label == 1) {
        const float half = rng.uniform(7.0f, 9.5f) * s, slant = rng.uniform(-2.0f, 2.0f) * s;
        c.segment(cx + slant, cy - half, cx - slant, cy + half, thick, value);
    } else {
        const float half = rng.uniform(6.0f, 8.0f) * s;
        c.segment(cx - half, cy - 8 * s, cx + half, cy - 8 * s, thick, value);
        c.segment(cx + half, cy - 8 * s, cx - rng.uniform(1.0f, 3.0f) * s, cy + 9 * s, thick, value);
    }
    return c;
}

void write_set(const std::string& dir, const std::string& name, int count, std::uint64_t seed) {
    static const int classes[] = {0, 1, 7};
    cnn::Rng rng(seed);
    cnn::IdxImages images;
    images.count = count;
    images.rows = images.cols = 28;
    std::vector<std::uint8_t> labels;
    for (int i = 0; i < count; ++i) {
        const int label = classes[i % 3];
        const Canvas c = draw_digit(label, 28, rng);
        for (float v : c.ink) {
            const float noisy = std::clamp(v + rng.uniform(-0.03f, 0.03f), 0.0f, 1.0f);
            images.pixels.push_back(std::uint8_t(std::lround(noisy * 255)));
        }
        labels.push_back(std::uint8_t(label));
    }
    cnn::write_idx_images(dir + "/" + name + "-images.idx", images);
    cnn::write_idx_labels(dir + "/" + name + "-labels.idx", labels);
}

bool write_png_gray_as_rgb(const std::string& path, const Canvas& c, bool dark_on_light) {
    std::vector<std::uint8_t> rgb;
    for (float v : c.ink) {
        const auto g = std::uint8_t(std::lround((dark_on_light ? 1.0f - v : v) * 255));
        rgb.insert(rgb.end(), {g, g, g});
    }
    return stbi_write_png(path.c_str(), c.w, c.h, 3, rgb.data(), c.w * 3) != 0;
}

// A "photo": grey paper lit from the top left (1.0 down to 0.55), dark ink, Gaussian noise and
// four dark specks in the corners.
bool write_photo(const std::string& path, const Canvas& c, cnn::Rng& rng) {
    std::vector<std::uint8_t> rgb;
    for (int y = 0; y < c.h; ++y)
        for (int x = 0; x < c.w; ++x) {
            const float light = 1.0f - 0.45f * float(x + y) / float(c.w + c.h);
            float refl = 0.85f - 0.7f * c.ink[std::size_t(y) * c.w + x];
            for (const int sx : {8, c.w - 9})
                for (const int sy : {8, c.h - 9})
                    if (std::hypot(float(x - sx), float(y - sy)) < 2.5f) refl = 0.15f;
            const float v = std::clamp(light * refl + 0.03f * rng.normal(), 0.0f, 1.0f);
            const auto g = std::uint8_t(std::lround(v * 255));
            rgb.insert(rgb.end(), {g, g, g});
        }
    return stbi_write_png(path.c_str(), c.w, c.h, 3, rgb.data(), c.w * 3) != 0;
}

bool write_pgm(const std::string& path, const Canvas& c) {
    std::ofstream f(path, std::ios::binary);
    f << "P5\n" << c.w << " " << c.h << "\n255\n";
    for (float v : c.ink) f.put(char(std::lround(v * 255)));
    return bool(f);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make-synthetic-data OUTDIR\n";
        return 2;
    }
    const std::string dir = argv[1];
    try {
        write_set(dir, "train", 600, 11);
        write_set(dir, "test", 150, 22);
        cnn::Rng rng(33);
        bool ok = write_png_gray_as_rgb(dir + "/digit0.png", draw_digit(0, 112, rng), true);
        ok = ok && write_pgm(dir + "/digit1.pgm", draw_digit(1, 56, rng));
        ok = ok && write_png_gray_as_rgb(dir + "/blank.png", Canvas(64, 64), true);
        ok = ok && write_photo(dir + "/photo7.png", draw_digit(7, 160, rng), rng);
        if (!ok) throw std::runtime_error("cannot write the test images in " + dir);
    } catch (const std::exception& e) {
        std::cerr << "make-synthetic-data: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
