#include "cnn/image/components.hpp"

#include <algorithm>
#include <string>

#include "cnn/base/error.hpp"

namespace cnn {

std::vector<Component> label_components(const std::vector<std::uint8_t>& mask, int width, int height,
                                        std::vector<int>& labels) {
    if (width <= 0 || height <= 0 || mask.size() != std::size_t(width) * height)
        throw Error("label_components: mask of " + std::to_string(mask.size()) + " pixels is not " +
                    std::to_string(width) + "x" + std::to_string(height));
    labels.assign(mask.size(), 0);
    std::vector<Component> out;
    std::vector<int> stack;  // explicit, so that a frame-filling blob cannot overflow the call stack
    for (int start = 0; start < int(mask.size()); ++start) {
        if (!mask[std::size_t(start)] || labels[std::size_t(start)]) continue;
        const int id = int(out.size()) + 1;
        Component c;
        c.x0 = c.x1 = start % width;
        c.y0 = c.y1 = start / width;
        labels[std::size_t(start)] = id;
        stack.assign(1, start);
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            const int x = p % width, y = p / width;
            ++c.area;
            c.x0 = std::min(c.x0, x);
            c.x1 = std::max(c.x1, x);
            c.y0 = std::min(c.y0, y);
            c.y1 = std::max(c.y1, y);
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                    const std::size_t q = std::size_t(ny) * width + nx;
                    if (!mask[q] || labels[q]) continue;
                    labels[q] = id;
                    stack.push_back(int(q));
                }
        }
        c.touches_border = c.x0 == 0 || c.y0 == 0 || c.x1 == width - 1 || c.y1 == height - 1;
        out.push_back(c);
    }
    return out;
}

int bbox_gap(const Component& a, const Component& b) {
    const int gx = std::max({0, b.x0 - a.x1 - 1, a.x0 - b.x1 - 1});
    const int gy = std::max({0, b.y0 - a.y1 - 1, a.y0 - b.y1 - 1});
    return std::max(gx, gy);
}

}  // namespace cnn
