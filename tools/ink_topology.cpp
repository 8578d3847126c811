#include "ink_topology.hpp"

#include <cstddef>
#include <vector>

namespace tools {

namespace {

// Sizes of the connected regions of cells where inside[i] is true; `touches` says whether each
// region reaches the image border. Flood fill with an explicit stack: glyphs can be large.
void regions(const std::vector<char>& inside, int w, int h, bool diagonal, std::vector<int>& sizes,
             std::vector<char>& touches) {
    std::vector<char> seen(inside.size(), 0);
    std::vector<int> stack;
    for (int start = 0; start < w * h; ++start) {
        if (!inside[std::size_t(start)] || seen[std::size_t(start)]) continue;
        int size = 0;
        bool border = false;
        stack.push_back(start);
        seen[std::size_t(start)] = 1;
        while (!stack.empty()) {
            const int i = stack.back();
            stack.pop_back();
            ++size;
            const int x = i % w, y = i / w;
            if (x == 0 || y == 0 || x == w - 1 || y == h - 1) border = true;
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    if ((dx == 0 && dy == 0) || (!diagonal && dx != 0 && dy != 0)) continue;
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    const std::size_t n = std::size_t(ny) * w + nx;
                    if (inside[n] && !seen[n]) {
                        seen[n] = 1;
                        stack.push_back(int(n));
                    }
                }
        }
        sizes.push_back(size);
        touches.push_back(border);
    }
}

}  // namespace

InkTopology ink_topology(const cnn::GrayImage& img, float threshold, int min_area) {
    std::vector<char> ink(img.pixels.size()), background(img.pixels.size());
    for (std::size_t i = 0; i < img.pixels.size(); ++i) {
        ink[i] = img.pixels[i] > threshold;
        background[i] = !ink[i];
    }
    InkTopology t;
    std::vector<int> sizes;
    std::vector<char> touches;
    // 8-connected ink with 4-connected background, so a diagonal step of ink closes a loop.
    regions(ink, img.width, img.height, true, sizes, touches);
    for (int s : sizes) t.pieces += s >= min_area;
    sizes.clear();
    touches.clear();
    regions(background, img.width, img.height, false, sizes, touches);
    for (std::size_t r = 0; r < sizes.size(); ++r) t.holes += !touches[r] && sizes[r] >= min_area;
    return t;
}

}  // namespace tools
