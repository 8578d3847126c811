// Strokes drawn on a square pad the way the page's canvas draws them (a round pen whose width is
// a fixed fraction of the pad), so that synthetic drawings go through exactly the path of a real
// one: pad -> preprocess_digit -> 28x28.
#pragma once

#include <vector>

#include "cnn/image/pen.hpp"
#include "cnn/image/preprocess.hpp"

namespace cnn {

// The page's pen: web/draw.js draws with a round pen this fraction of the pad wide (a test checks
// that the two agree).
constexpr float kPagePen = 0.05f;

// Where and how big a drawing lands on the pad, and the pen it is drawn with.
struct PadPlacement {
    int pad = 280;               // pad side in pixels (the page's canvas is 280 CSS pixels)
    float extent = 0.7f;         // the drawing's longest side as a fraction of the pad
    // Pen width as a fraction of the pad. 0.08 was the page's pen before it became kPagePen; the
    // synthetic sets drawn with it (conventions, negatives, fine-tuning styles) keep it, so that
    // their recorded figures stay comparable. The corner set and augmentation use kPagePen.
    float pen = 0.08f;
    float cx = 0.5f, cy = 0.5f;  // centre of the digit's box, as fractions of the pad
};

// The bounding box of all points of all strokes (x0 > x1 when there are none).
struct StrokeBox {
    float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
    bool empty() const { return x0 > x1; }
};
StrokeBox stroke_box(const std::vector<Stroke>& strokes);

// Scales strokes (in any frame, y down) so the longest side of their box is extent * pad, centres
// the box at (cx, cy) and draws them. Empty strokes give an empty pad. Throws Error for a pad side
// outside 8..4096, an extent outside (0, 4] or a pen outside (0, 1].
GrayImage draw_on_pad(const std::vector<Stroke>& strokes, const PadPlacement& placement);

// draw_on_pad, then the page's preprocessing to a size x size MNIST-like digit (empty if no ink).
Preprocessed draw_digit(const std::vector<Stroke>& strokes, const PadPlacement& placement, int size = 28);

}  // namespace cnn
