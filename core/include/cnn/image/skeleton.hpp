// Ink images back to pen strokes: the centre lines of the ink, so that a digit can be redrawn with
// another pen (width, wobble) as a training augmentation. The inverse of draw_stroke (pen.hpp).
#pragma once

#include <vector>

#include "cnn/image/pen.hpp"

namespace cnn {

// How ink is read and how the traced centre lines are cleaned up; lengths are in input pixels.
struct SkeletonOptions {
    float threshold = 0.35f;    // pixels above threshold * (the brightest pixel) are ink, [0, 1)
    int upsample = 3;           // bilinear upsampling before thinning, 1..8, so thin MNIST strokes thin smoothly
    float min_branch = 1.5f;    // end branches (spurs) shorter than this are pruned, >= 0
    float min_dot_area = 2.0f;  // a blob with less centre line than min_branch: a dot if this much ink, else noise
    float simplify = 0.25f;     // Douglas-Peucker tolerance of the traced polylines, >= 0
};

// Thins an ink image (row-major, width * height, 1 = ink; NaN, infinite and negative pixels are
// background) to a one-pixel skeleton (Zhang-Suen on the thresholded, upsampled image) and traces
// it into strokes in the input's pixel coordinates (pixel (x, y) covers [x, x+1) x [y, y+1)),
// placed where a round pen's centre went: in the middle of the ink, a pen radius inside its ends
// and corners. Strokes run between line ends and junctions (junctions closer than the pen's width
// are one); a closed loop repeats its first point at the end; a small blob is a one-point stroke
// (a dot). Deterministic. Throws Error for sizes beyond the limits of preprocess.hpp, ink whose
// bounding box upsampled has more than 2^22 pixels (680x680 ink at upsample 3: this is meant for
// digit-sized images), or bad options.
std::vector<Stroke> skeleton_strokes(const float* pixels, int width, int height, const SkeletonOptions& options = {});

}  // namespace cnn
