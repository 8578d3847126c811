// Stroke width of a grayscale digit: thinner or bolder strokes without redrawing, by grayscale
// morphology. People draw with thinner and bolder pens than MNIST's; the page's fixed pen makes a
// small drawing bold. Used to build test sets and as a training augmentation.
#pragma once

namespace cnn {

// Changes the stroke width of a w x h ink image (row-major, 1 = ink). amount > 0 dilates, < 0
// erodes, by |amount| 3x3 steps: whole steps in full, the fraction as a blend with the next step
// (so 0.5 is half a pixel's growth on each side of a stroke). Dilation uses a 3x3 square, erosion a
// 3x3 cross (a square would cut MNIST's 2-pixel strokes apart). Erosion keeps the strokes' centre
// lines (skeleton.hpp) one pixel wide, so strokes get thinner but never break into dots.
// |amount| <= 3. `in` and `out` may be the same buffer.
void change_stroke_width(const float* in, float* out, int w, int h, float amount);

// Grayscale erosion (min) or dilation (max) of a w x h image with values in [0, 1] over a disk of
// `radius` pixels (pixels at distance <= radius; 1: the 3x3 cross, sqrt(2): the 3x3 square);
// outside the image is background. `in` and `out` must not overlap.
void morph_disk(const float* in, float* out, int w, int h, float radius, bool dilate);

}  // namespace cnn
