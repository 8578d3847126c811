// A plain RGB raster for the figures the tools draw (sample grids).
#pragma once

#include <cstdint>
#include <vector>

namespace tools {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

struct RgbImage {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // width * height * 3, row-major

    RgbImage(int w, int h, Rgb fill) : width(w), height(h), pixels(std::size_t(w) * h * 3) {
        fill_rect(0, 0, w, h, fill);
    }
    // Clipped to the image, so callers may draw partly outside it.
    void set(int x, int y, Rgb c) {
        if (x < 0 || y < 0 || x >= width || y >= height) return;
        std::uint8_t* p = &pixels[(std::size_t(y) * width + x) * 3];
        p[0] = c.r;
        p[1] = c.g;
        p[2] = c.b;
    }
    void fill_rect(int x0, int y0, int w, int h, Rgb c) {
        for (int y = y0; y < y0 + h; ++y)
            for (int x = x0; x < x0 + w; ++x) set(x, y, c);
    }
};

}  // namespace tools
