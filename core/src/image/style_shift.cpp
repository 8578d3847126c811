#include "cnn/image/style_shift.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/base/error.hpp"
#include "cnn/image/pen.hpp"

namespace cnn {

namespace {

void check_image(const float* pixels, int w, int h, const char* what) {
    if (!pixels || w <= 0 || h <= 0 || w > 4096 || h > 4096)
        throw Error(std::string(what) + ": image is " + std::to_string(w) + "x" + std::to_string(h));
}

// The image inside a larger zeroed canvas with `margin` pixels on every side.
GrayImage embed(const float* pixels, int w, int h, int margin) {
    GrayImage img;
    img.width = w + 2 * margin;
    img.height = h + 2 * margin;
    img.pixels.assign(std::size_t(img.width) * img.height, 0.0f);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float v = pixels[std::size_t(y) * w + x];
            img.pixels[std::size_t(y + margin) * img.width + x + margin] = std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
        }
    return img;
}

}  // namespace

Preprocessed slant_digit(const float* pixels, int w, int h, float shear, int size) {
    check_image(pixels, w, h, "slant_digit");
    if (!(std::fabs(shear) <= 3.0f)) throw Error("slant_digit: shear must be in [-3, 3]");
    const int margin = int(std::ceil(std::fabs(shear) * h / 2.0f)) + 2;
    const GrayImage src = embed(pixels, w, h, margin);
    GrayImage out = src;
    const float cy = 0.5f * float(src.height - 1);
    for (int y = 0; y < src.height; ++y) {
        const float dx = shear * (cy - float(y));  // output x = input x + dx; y grows downwards
        for (int x = 0; x < src.width; ++x) {
            const float sx = float(x) - dx;
            const int x0 = int(std::floor(sx));
            const float f = sx - float(x0);
            const auto at = [&](int xx) { return (xx < 0 || xx >= src.width) ? 0.0f : src.at(xx, y); };
            out.pixels[std::size_t(y) * src.width + x] = (1.0f - f) * at(x0) + f * at(x0 + 1);
        }
    }
    return preprocess_digit(out, mnist_options(size));
}

Preprocessed add_stray_mark(const float* pixels, int w, int h, Rng& rng, int size) {
    check_image(pixels, w, h, "add_stray_mark");
    const int margin = std::max(w, h);
    GrayImage img = embed(pixels, w, h, margin);
    // The ink's box, in canvas pixels.
    int x0 = img.width, y0 = img.height, x1 = -1, y1 = -1;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            if (img.at(x, y) > 0.2f) {
                x0 = std::min(x0, x);
                y0 = std::min(y0, y);
                x1 = std::max(x1, x);
                y1 = std::max(y1, y);
            }
    // Sizes relative to the digit: MNIST digits are 20 pixels tall at 28x28.
    const float unit = x1 < 0 ? float(h) / 28.0f : float(std::max(x1 - x0, y1 - y0) + 1) / 20.0f;
    if (x1 < 0) x0 = y0 = margin, x1 = margin + w - 1, y1 = margin + h - 1;
    const float gap = rng.uniform(1.5f, 5.0f) * unit;
    const int side = int(rng.below(4));  // left, right, above, below
    const float along = rng.uniform(0.0f, 1.0f);
    Point2 at;
    if (side < 2) {
        at.x = side == 0 ? float(x0) - gap : float(x1 + 1) + gap;
        at.y = float(y0) + along * float(y1 + 1 - y0);
    } else {
        at.x = float(x0) + along * float(x1 + 1 - x0);
        at.y = side == 2 ? float(y0) - gap : float(y1 + 1) + gap;
    }
    const float pen = rng.uniform(1.6f, 2.6f) * unit;
    Stroke mark{at};
    if (rng.uniform() < 0.6f) {  // a short stroke pointing away from the digit, else a dot
        const float len = rng.uniform(2.5f, 6.0f) * unit;
        const float angle = rng.uniform(0.0f, 6.2831853f);
        Point2 end{at.x + len * std::cos(angle), at.y + len * std::sin(angle)};
        // Keep the stroke outside the digit's box: flip it if it would point inwards.
        const bool inside_x = end.x > float(x0) && end.x < float(x1 + 1);
        const bool inside_y = end.y > float(y0) && end.y < float(y1 + 1);
        if (inside_x && inside_y) end = {2 * at.x - end.x, 2 * at.y - end.y};
        mark.push_back(end);
    }
    draw_stroke(img, mark, pen);
    return preprocess_digit(img, mnist_options(size));
}

}  // namespace cnn
