// Connected components of a binary mask: what tells a digit's strokes from specks of dirt.
#pragma once

#include <cstdint>
#include <vector>

namespace cnn {

// One 8-connected region of set pixels.
struct Component {
    int area = 0;                        // pixels
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // inclusive bounding box
    bool touches_border = false;         // reaches the first or last row or column

    int width() const { return x1 - x0 + 1; }
    int height() const { return y1 - y0 + 1; }
};

// Labels the 8-connected components of `mask` (width * height, row-major, nonzero = set).
// labels[i] is 1 + the index of pixel i's component in the result, or 0 for unset pixels.
// Components are numbered in raster order of their first pixel.
std::vector<Component> label_components(const std::vector<std::uint8_t>& mask, int width, int height,
                                        std::vector<int>& labels);

// Gap in pixels between two bounding boxes along the axis where they are furthest apart; 0 when
// they overlap or touch.
int bbox_gap(const Component& a, const Component& b);

}  // namespace cnn
