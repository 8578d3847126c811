// The shape of a glyph that stroke weight must not change: how many pieces of ink it has and how
// many loops (the holes of 0, 6, 8, 9). Thinning too much breaks strokes apart; thickening too
// much fills loops in; either way the glyph stops being the same digit.
#pragma once

#include "cnn/image/preprocess.hpp"

namespace tools {

struct InkTopology {
    int pieces = 0;  // 8-connected regions of ink
    int holes = 0;   // 4-connected regions of background that do not reach the border

    bool operator==(const InkTopology& o) const { return pieces == o.pieces && holes == o.holes; }
    bool operator!=(const InkTopology& o) const { return !(*this == o); }
};

// Pieces and holes of the pixels above `threshold`, ignoring regions of fewer than `min_area`
// pixels, so that anti-aliasing specks and a pen texture's pinholes do not count.
InkTopology ink_topology(const cnn::GrayImage& img, float threshold, int min_area);

}  // namespace tools
