// A drawing from the page to the network's input. The page's pen is a fixed fraction of the pad,
// so a digit drawn small comes out bold after size normalisation, and one drawn large comes out
// thin: MNIST's writers used pens in proportion to their digits. A drawing whose strokes are
// outside MNIST's range, relative to its size, is eroded (or dilated) to the nearest width in range
// before the usual preprocessing; every other drawing is preprocessed unchanged.
#pragma once

#include "cnn/preprocess.hpp"

namespace cnn {

// Stroke width relative to the drawing's size (the longest side of its ink box). The default is
// about the middle half of MNIST's training digits (quartiles 0.105 and 0.145, median 0.123, measured
// with relative_pen_width): the page's pen lands there for digits 50-80% of the pad tall.
struct PenRange {
    float min = 0.10f;
    float max = 0.15f;
};

// The drawing's stroke width relative to its size: twice the ink area over the ink's perimeter,
// over the longest side of the ink's box, measured on a rendering 96 pixels across. 0 for an
// empty drawing.
float relative_pen_width(const GrayImage& ink);

// preprocess_digit, after eroding or dilating (with a disk) a drawing whose relative_pen_width is
// outside `range` to the nearest width inside it. Throws as preprocess_digit does.
Preprocessed preprocess_drawing(const GrayImage& ink, const PenRange& range = {},
                                const PreprocessOptions& options = {});

}  // namespace cnn
