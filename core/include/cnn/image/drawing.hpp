// A drawing from the page to the network's input. The page's pen is a fixed fraction of the pad,
// so a digit drawn small comes out bold after size normalisation, and one drawn large comes out
// thin: MNIST's writers used pens in proportion to their digits. A drawing whose strokes are
// outside MNIST's range, relative to its size, is eroded (or dilated) to the nearest width in range
// before the usual preprocessing; every other drawing is preprocessed unchanged.
#pragma once

#include "cnn/image/preprocess.hpp"

namespace cnn {

// Stroke width relative to the drawing's size (the longest side of its ink box). MNIST's training
// digits have a median of 0.123 (quartiles 0.105 and 0.145, measured with relative_pen_width). The
// page's pen is fixed, so the width it gives depends only on how big the user draws: the default
// band is narrow around MNIST's median, so that a digit comes out alike whatever its size.
struct PenRange {
    float min = 0.115f;
    float max = 0.135f;
};

// The drawing's stroke width relative to its size: twice the ink area over the ink's perimeter,
// over the longest side of the ink's box, measured on a rendering 96 pixels across. 0 for an
// empty drawing.
float relative_pen_width(const GrayImage& ink);

// preprocess_digit, after eroding or dilating (with a disk) a drawing whose relative_pen_width is
// outside `range` to the nearest width inside it; a drawing that erosion would leave empty is
// preprocessed unchanged, so the result is empty exactly when preprocess_digit's is. Throws as
// preprocess_digit does.
Preprocessed preprocess_drawing(const GrayImage& ink, const PenRange& range = {},
                                const PreprocessOptions& options = {});

}  // namespace cnn
