#include "cnn/image/stroke_width.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/image/pen.hpp"
#include "cnn/image/skeleton.hpp"

namespace cnn {

void morph_disk(const float* in, float* out, int w, int h, float radius, bool dilate) {
    const int r = int(std::ceil(radius));
    std::vector<std::pair<int, int>> disk;
    for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx)
            if (float(dx * dx + dy * dy) <= radius * radius) disk.push_back({dx, dy});
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float v = dilate ? 0.0f : 1.0f;
            for (const auto& [dx, dy] : disk) {
                const int xx = x + dx, yy = y + dy;
                const float p = (xx < 0 || yy < 0 || xx >= w || yy >= h) ? 0.0f : in[std::size_t(yy) * w + xx];
                v = dilate ? std::max(v, p) : std::min(v, p);
            }
            out[std::size_t(y) * w + x] = v;
        }
}

void change_stroke_width(const float* in, float* out, int w, int h, float amount) {
    if (w <= 0 || h <= 0) throw Error("change_stroke_width: image is " + std::to_string(w) + "x" + std::to_string(h));
    if (!(std::fabs(amount) <= 3.0f)) throw Error("stroke width change must be in [-3, 3]");
    const std::size_t n = std::size_t(w) * std::size_t(h);
    std::vector<float> cur(in, in + n), next(n);
    for (auto& v : cur) v = std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
    const std::vector<float> original = cur;
    const bool dilate = amount > 0;
    float left = std::fabs(amount);
    while (left > 0.0f) {
        // One 3x3 step: the square when dilating, the cross when eroding.
        morph_disk(cur.data(), next.data(), w, h, dilate ? 1.5f : 1.0f, dilate);
        const float f = std::min(1.0f, left);
        for (std::size_t i = 0; i < n; ++i) cur[i] = (1.0f - f) * cur[i] + f * next[i];
        left -= 1.0f;
    }
    if (!dilate && amount != 0.0f) {
        // Erosion would break MNIST's thin strokes into dots; a thinner pen never does that. Keep
        // the centre line, one pixel wide, at no more than the ink that was there.
        GrayImage centre{w, h, std::vector<float>(n, 0.0f)};
        for (const auto& s : skeleton_strokes(original.data(), w, h)) draw_stroke(centre, s, 1.0f);
        for (std::size_t i = 0; i < n; ++i) cur[i] = std::max(cur[i], std::min(centre.pixels[i], original[i]));
    }
    std::copy(cur.begin(), cur.end(), out);
}

}  // namespace cnn
