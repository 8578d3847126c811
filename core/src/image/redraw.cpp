#include "cnn/image/redraw.hpp"

#include "cnn/base/error.hpp"
#include "cnn/image/skeleton.hpp"

namespace cnn {

std::vector<Stroke> digit_strokes(const float* pixels, int w, int h) {
    return skeleton_strokes(pixels, w, h);
}

Preprocessed redraw_strokes(const std::vector<Stroke>& strokes, float pen, int pad, int size) {
    if (!(pen > 0.0f && pen <= 0.5f)) throw Error("redraw: pen width must be in (0, 0.5] of the drawing's size");
    PadPlacement place;
    place.pad = pad;
    place.extent = 0.7f;
    place.pen = pen * place.extent;
    return draw_digit(strokes, place, size);
}

Preprocessed redraw_digit(const float* pixels, int w, int h, float pen, int pad, int size) {
    return redraw_strokes(digit_strokes(pixels, w, h), pen, pad, size);
}

}  // namespace cnn
