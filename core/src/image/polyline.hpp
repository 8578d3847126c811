// Plane geometry on points and polylines (pen.hpp), as the skeleton code needs it. sqrt, not
// std::hypot: coordinates are small, and hypot, guarding against overflow, is several times slower.
#pragma once

#include <algorithm>
#include <cmath>

#include "cnn/image/pen.hpp"

namespace cnn::skeleton {

inline float distance(Point2 a, Point2 b) {
    const float dx = b.x - a.x, dy = b.y - a.y;
    return std::sqrt(dx * dx + dy * dy);
}

// The unit vector from a towards b; (0, 0) if they coincide.
inline Point2 direction(Point2 a, Point2 b) {
    const float d = distance(a, b);
    return d > 0 ? Point2{(b.x - a.x) / d, (b.y - a.y) / d} : Point2{0, 0};
}

inline Point2 moved(Point2 p, Point2 dir, float by) {
    return {p.x + by * dir.x, p.y + by * dir.y};
}

inline float dot(Point2 a, Point2 b) {
    return a.x * b.x + a.y * b.y;
}

inline float polyline_length(const Stroke& s) {
    float len = 0;
    for (std::size_t i = 1; i < s.size(); ++i) len += distance(s[i - 1], s[i]);
    return len;
}

// The point at arc length `at` from the front of s (from the back if `back`), or its far end.
inline Point2 point_along(const Stroke& s, bool back, float at) {
    const std::size_t n = s.size();
    auto point = [&](std::size_t k) { return s[back ? n - 1 - k : k]; };
    for (std::size_t k = 1; k < n; ++k) {
        const float step = distance(point(k - 1), point(k));
        if (step >= at && step > 0) return moved(point(k - 1), direction(point(k - 1), point(k)), at);
        at -= step;
    }
    return point(n - 1);
}

// Distance from p to the segment a-b.
inline float segment_distance(Point2 p, Point2 a, Point2 b) {
    const float dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    const float t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0f, 1.0f) : 0.0f;
    return distance(p, {a.x + t * dx, a.y + t * dy});
}

}  // namespace cnn::skeleton
