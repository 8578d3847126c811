// The first half of skeleton_strokes (skeleton.hpp): ink read into an upsampled binary grid,
// its blobs, and its thinning to 8-connected lines one pixel wide.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cnn/pen.hpp"

namespace cnn {

// The thresholded, upsampled ink of an image's inked region, with a one-pixel background border so
// that every ink pixel has all 8 neighbours in range. Neighbour k (0..7) runs clockwise from north.
struct Grid {
    int w = 0, h = 0;               // border included
    int ox = 0, oy = 0;             // the input pixel at the region's top-left corner
    int scale = 1;                  // grid pixels per input pixel
    std::vector<std::uint8_t> ink;  // w * h: 0 background, 1 ink (the tracer marks visited pixels 2)
    std::vector<int> inked;         // indices of the ink pixels before thinning, in raster order
    std::array<int, 8> step{};      // index offset to neighbour k

    int x_of(int i) const { return i % w; }
    int y_of(int i) const { return i / w; }
    // Bit k set if neighbour k is ink.
    int code(int i) const {
        int c = 0;
        for (int k = 0; k < 8; ++k) c |= int(ink[std::size_t(i + step[k])] != 0) << k;
        return c;
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

}  // namespace cnn
