#include "cnn/image/pen.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

// Distance from p to the segment a-b.
float segment_distance(float px, float py, const Point2& a, const Point2& b) {
    const float dx = b.x - a.x, dy = b.y - a.y;
    const float len2 = dx * dx + dy * dy;
    const float t = len2 > 0 ? std::clamp(((px - a.x) * dx + (py - a.y) * dy) / len2, 0.0f, 1.0f) : 0.0f;
    return std::hypot(px - (a.x + t * dx), py - (a.y + t * dy));
}

}  // namespace

void draw_stroke(GrayImage& img, const Stroke& stroke, float width, float value) {
    if (img.width <= 0 || img.height <= 0 || img.pixels.size() != std::size_t(img.width) * img.height)
        throw Error("draw_stroke: image is " + std::to_string(img.width) + "x" + std::to_string(img.height));
    if (stroke.empty()) return;
    const float r = std::max(0.0f, width) / 2;
    const std::size_t segments = stroke.size() == 1 ? 1 : stroke.size() - 1;  // a dot is a 0-length one
    for (std::size_t i = 0; i < segments; ++i) {
        const Point2& a = stroke[i];
        const Point2& b = stroke[std::min(i + 1, stroke.size() - 1)];
        const int x0 = std::max(0, int(std::floor(std::min(a.x, b.x) - r - 1)));
        const int x1 = std::min(img.width - 1, int(std::ceil(std::max(a.x, b.x) + r + 1)));
        const int y0 = std::max(0, int(std::floor(std::min(a.y, b.y) - r - 1)));
        const int y1 = std::min(img.height - 1, int(std::ceil(std::max(a.y, b.y) + r + 1)));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                // Coverage falls from 1 to 0 across the one pixel that straddles the pen's edge.
                const float d = segment_distance(x + 0.5f, y + 0.5f, a, b);
                const float c = std::clamp(r + 0.5f - d, 0.0f, 1.0f) * value;
                float& p = img.pixels[std::size_t(y) * img.width + x];
                p = std::max(p, c);
            }
    }
}

Stroke subdivide(const Stroke& stroke, float max_step) {
    if (!(max_step > 0)) throw Error("subdivide: max_step must be positive");
    Stroke out;
    for (std::size_t i = 0; i < stroke.size(); ++i) {
        if (i > 0) {
            const Point2 a = stroke[i - 1], b = stroke[i];
            const int steps = std::min(100000, int(std::ceil(std::hypot(b.x - a.x, b.y - a.y) / max_step)));
            for (int k = 1; k < steps; ++k) {
                const float t = float(k) / float(steps);
                out.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
            }
        }
        out.push_back(stroke[i]);
    }
    return out;
}

}  // namespace cnn
