// The first step of skeleton_strokes (skeleton.hpp): ink read into an upsampled binary grid,
// its blobs, and its thinning to 8-connected lines one pixel wide.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cnn/image/pen.hpp"

namespace cnn::skeleton {

// The input image as a continuous field, bilinear between pixel centres (as the grid is upsampled),
// 0 outside the image.
struct InkField {
    const float* pixels = nullptr;  // width * height, not owned
    int width = 0, height = 0;
    float cut = 0;  // values above are ink

    float at(Point2 p) const;
};

// How far the ink reaches from p along the unit direction dir, in input pixels: where the field
// falls to the cut. 0 if p is no ink.
float ink_reach(const InkField& ink, Point2 p, Point2 dir);

// The thresholded, upsampled ink of an image's inked region, with a one-pixel background border so
// that every ink pixel has all 8 neighbours in range.
struct Grid {
    int w = 0, h = 0;               // border included
    int ox = 0, oy = 0;             // the input pixel at the region's top-left corner
    int scale = 1;                  // grid pixels per input pixel
    std::vector<std::uint8_t> ink;  // w * h (+ 1 spare byte for code()): 0 background, 1 ink
    std::vector<int> inked;         // indices of the ink pixels before thinning, in raster order
    std::array<int, 8> step{};      // index offsets to the 8 neighbours, clockwise from north
    InkField field;                 // the image it was read from

    int x_of(int i) const { return i % w; }
    int y_of(int i) const { return i / w; }
    // The 8 neighbours as bits in reading order: NW N NE W E SW S SE. Thinning's inner loop: each
    // row's 3 bytes are read at once and gathered into 3 bits with one multiplication.
    int code(int i) const {
        auto row = [&](int from) {
            std::uint32_t v;
            std::memcpy(&v, &ink[std::size_t(from)], 4);
            return int((v & 0x010101u) * 0x10204u >> 16 & 7u);
        };
        const int mid = row(i - 1);
        return row(i - w - 1) | (mid & 1) << 3 | (mid & 4) << 2 | row(i + w - 1) << 5;
    }
    int degree(int i) const;
    // A grid position (pixel centres at integers) in input pixel coordinates.
    Point2 point(double gx, double gy) const;
    Point2 pixel_point(int i) const { return point(x_of(i), y_of(i)); }
};

// Pixels above threshold * (the brightest pixel), upsampled bilinearly by `scale`; only the inked
// region's bounding box is kept. No ink gives an empty grid. Throws Error for bad sizes.
Grid read_ink(const float* pixels, int width, int height, float threshold, int scale);

// 8-connected blobs of ink.
struct Blobs {
    std::vector<int> label;            // per grid pixel: its blob, -1 for background
    std::vector<double> area, sx, sy;  // per blob: grid pixel count, sums of grid coordinates
};

Blobs label_blobs(const Grid& grid);

// Thins grid.ink in place (Zhang-Suen, then the staircase corners it leaves) and returns the
// remaining pixels in raster order. Blobs keep their topology; a 2x2 blob may vanish.
std::vector<int> thin(Grid& grid);

}  // namespace cnn::skeleton
