// A digit image redrawn as pen strokes: its skeleton traced into strokes and drawn again with a
// round pen of a chosen width, through the page's pad and preprocessing. This is what a digit
// looks like when someone draws it on the page: uniform stroke width, round ends, no pressure.
#pragma once

#include <vector>

#include "cnn/image/pad.hpp"
#include "cnn/image/pen.hpp"
#include "cnn/image/preprocess.hpp"

namespace cnn {

// The skeleton strokes of a w x h ink image (row-major, 1 = ink) in its pixel coordinates.
std::vector<Stroke> digit_strokes(const float* pixels, int w, int h);

// The strokes drawn with a pen `pen` times the drawing's longest side wide on a pad of `pad`
// pixels and preprocessed to size x size. Preprocessing scales the longest side to 20 of 28
// pixels, so the pen comes out 20 * pen pixels wide (MNIST's strokes: about 2-3 pixels).
// Empty (Preprocessed::empty) if there are no strokes.
Preprocessed redraw_strokes(const std::vector<Stroke>& strokes, float pen, int pad = 112, int size = 28);

// digit_strokes, then redraw_strokes.
Preprocessed redraw_digit(const float* pixels, int w, int h, float pen, int pad = 112, int size = 28);

}  // namespace cnn
