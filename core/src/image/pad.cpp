#include "cnn/image/pad.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/base/error.hpp"

namespace cnn {

StrokeBox stroke_box(const std::vector<Stroke>& strokes) {
    StrokeBox b;
    for (const auto& s : strokes)
        for (const auto& p : s) {
            b.x0 = std::min(b.x0, p.x);
            b.y0 = std::min(b.y0, p.y);
            b.x1 = std::max(b.x1, p.x);
            b.y1 = std::max(b.y1, p.y);
        }
    return b;
}

GrayImage draw_on_pad(const std::vector<Stroke>& strokes, const PadPlacement& o) {
    if (o.pad < 8 || o.pad > 4096) throw Error("pad side must be in 8..4096, got " + std::to_string(o.pad));
    if (!(o.extent > 0 && o.extent <= 4) || !(o.pen > 0 && o.pen <= 1))
        throw Error("pad placement needs an extent in (0, 4] and a pen in (0, 1]");
    GrayImage img;
    img.width = img.height = o.pad;
    img.pixels.assign(std::size_t(o.pad) * o.pad, 0.0f);
    const StrokeBox b = stroke_box(strokes);
    if (b.empty()) return img;
    const float side = float(o.pad), pen = o.pen * side;
    const float scale = o.extent * side / std::max(1e-3f, std::max(b.x1 - b.x0, b.y1 - b.y0));
    const float mx = (b.x0 + b.x1) / 2, my = (b.y0 + b.y1) / 2;
    for (const auto& s : strokes) {
        Stroke placed;
        placed.reserve(s.size());
        for (const auto& p : s) placed.push_back({(p.x - mx) * scale + o.cx * side, (p.y - my) * scale + o.cy * side});
        draw_stroke(img, placed, pen);
    }
    return img;
}

Preprocessed draw_digit(const std::vector<Stroke>& strokes, const PadPlacement& placement, int size) {
    return preprocess_digit(draw_on_pad(strokes, placement), mnist_options(size));
}

}  // namespace cnn
