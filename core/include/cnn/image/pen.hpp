// A round pen on a GrayImage: strokes as people draw them on the page's canvas (opaque ink, round
// caps and joins, anti-aliased edges). Used to render stroke fonts and synthetic test digits.
#pragma once

#include <vector>

#include "cnn/image/preprocess.hpp"

namespace cnn {

struct Point2 {
    float x = 0, y = 0;
};

// A pen-down path: consecutive points joined by straight segments.
using Stroke = std::vector<Point2>;

// Draws the stroke with a pen `width` pixels wide and ink `value` (0..1) onto img (1 = ink).
// Pixel (x, y) covers [x, x+1) x [y, y+1). Overlapping ink does not add up (max), as on a canvas.
// A one-point stroke is a dot.
void draw_stroke(GrayImage& img, const Stroke& stroke, float width, float value = 1.0f);

// Inserts points so that no segment is longer than max_step, e.g. before bending strokes.
Stroke subdivide(const Stroke& stroke, float max_step);

}  // namespace cnn
