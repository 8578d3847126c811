#include "cnn/image/conventions.hpp"

#include <algorithm>
#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/image/pad.hpp"

namespace cnn {

namespace {

constexpr float kPi = 3.14159265f;

// A smooth curve through control points (Catmull-Rom), `steps` points per span.
Stroke spline(const std::vector<Point2>& c, int steps = 8) {
    Stroke out;
    if (c.size() < 3) return Stroke(c.begin(), c.end());
    for (std::size_t i = 0; i + 1 < c.size(); ++i) {
        const Point2 p0 = c[i == 0 ? 0 : i - 1], p1 = c[i], p2 = c[i + 1], p3 = c[std::min(c.size() - 1, i + 2)];
        for (int k = 0; k < steps; ++k) {
            const float t = float(k) / float(steps), t2 = t * t, t3 = t2 * t;
            const auto f = [&](float a, float b, float cc, float d) {
                return 0.5f * (2 * b + (-a + cc) * t + (2 * a - 5 * b + 4 * cc - d) * t2 + (-a + 3 * b - 3 * cc + d) * t3);
            };
            out.push_back({f(p0.x, p1.x, p2.x, p3.x), f(p0.y, p1.y, p2.y, p3.y)});
        }
    }
    out.push_back(c.back());
    return out;
}

// Control points moved by up to `amount` (unit box) each: no two hands draw the same curve.
std::vector<Point2> jitter(std::vector<Point2> pts, float amount, Rng& rng) {
    for (auto& p : pts) p = {p.x + rng.uniform(-amount, amount), p.y + rng.uniform(-amount, amount)};
    return pts;
}

// Slant, proportions and rotation of a whole drawing, about the unit box's centre.
std::vector<Stroke> hand(std::vector<Stroke> strokes, Rng& rng) {
    const float slant = rng.uniform(-0.3f, 0.3f), aspect = rng.uniform(0.75f, 1.2f);
    const float angle = rng.uniform(-8.0f, 8.0f) * kPi / 180.0f;
    const float ca = std::cos(angle), sa = std::sin(angle);
    for (auto& s : strokes)
        for (auto& p : s) {
            const float x = (p.x - 0.5f) * aspect, y = p.y - 0.5f;
            const float xs = x - slant * y;  // y grows downwards: a right lean moves the top right
            p = {ca * xs - sa * y + 0.5f, sa * xs + ca * y + 0.5f};
        }
    return strokes;
}

// Points of an ellipse from angle a0 through a0 + sweep (radians, y down).
std::vector<Point2> arc(float cx, float cy, float rx, float ry, float a0, float sweep, int n) {
    std::vector<Point2> pts;
    for (int i = 0; i <= n; ++i) {
        const float a = a0 + sweep * float(i) / float(n);
        pts.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return pts;
}

std::vector<Stroke> open_four(Rng& rng) {
    const float bar = rng.uniform(0.55f, 0.68f), stem = rng.uniform(0.6f, 0.75f);
    const float left_top = rng.uniform(0.05f, 0.3f);
    std::vector<Point2> l = {{left_top, 0.0f}, {rng.uniform(0.0f, 0.12f), bar}, {rng.uniform(0.85f, 1.0f), bar}};
    std::vector<Point2> s = {{stem + rng.uniform(-0.05f, 0.05f), rng.uniform(0.0f, 0.15f)},
                             {stem + rng.uniform(-0.05f, 0.05f), 1.0f}};
    return {jitter(l, 0.03f, rng), jitter(s, 0.02f, rng)};
}

std::vector<Stroke> straight_nine(Rng& rng) {
    const float rx = rng.uniform(0.3f, 0.42f), ry = rng.uniform(0.2f, 0.27f);
    const float cx = 0.85f - rx, cy = ry + 0.02f;
    // The loop starts and ends on the right, where the stem leaves it going straight down.
    std::vector<Point2> loop = jitter(arc(cx, cy, rx, ry, 0.15f, -2 * kPi - 0.1f, 8), 0.02f, rng);
    const float x = cx + rx;
    std::vector<Stroke> out = {spline(loop), {{x, cy + 0.05f}, {x + rng.uniform(-0.08f, 0.02f), 1.0f}}};
    return out;
}

std::vector<Stroke> looped_two(Rng& rng) {
    const float loop = rng.uniform(0.08f, 0.14f);
    const float lx = rng.uniform(0.12f, 0.25f), ly = 1.0f - loop - 0.02f;
    std::vector<Point2> c = {{0.1f, 0.28f}, {0.3f, 0.03f}, {0.62f, 0.0f}, {0.85f, 0.22f}, {0.7f, 0.5f},
                             {lx + loop * 1.5f, ly - loop * 0.5f}, {lx + loop, ly}, {lx, ly + loop},
                             {lx - loop, ly}, {lx, ly - loop}, {lx + loop * 1.6f, ly + loop * 0.6f},
                             {0.6f, 1.0f}, {rng.uniform(0.85f, 1.0f), rng.uniform(0.93f, 1.0f)}};
    return {spline(jitter(c, 0.02f, rng))};
}

// Every stroke with points at most 2% of the drawing's size apart.
std::vector<Stroke> subdivided(const std::vector<Stroke>& strokes) {
    std::vector<Stroke> out;
    const StrokeBox b = stroke_box(strokes);
    const float step = b.empty() ? 1.0f : std::max(1e-3f, 0.02f * std::max(b.x1 - b.x0, b.y1 - b.y0));
    for (const auto& s : strokes) out.push_back(subdivide(s, step));
    return out;
}

// Points of the strokes within a band of heights (fractions of the box), for finding a stem.
float mean_x_in_band(const std::vector<Stroke>& strokes, const StrokeBox& b, float lo, float hi, float fallback) {
    double sum = 0;
    int n = 0;
    for (const auto& s : subdivided(strokes))
        for (const auto& p : s) {
            const float t = (p.y - b.y0) / std::max(1e-3f, b.y1 - b.y0);
            if (t >= lo && t <= hi) sum += p.x, ++n;
        }
    return n ? float(sum / n) : fallback;
}

}  // namespace

const std::vector<Convention>& all_conventions() {
    static const std::vector<Convention> all = {Convention::SlashedZero, Convention::ContinentalOne,
                                                Convention::CrossedSeven, Convention::OpenFour,
                                                Convention::StraightNine, Convention::LoopedTwo};
    return all;
}

std::string convention_name(Convention c) {
    switch (c) {
        case Convention::SlashedZero: return "slashed-0";
        case Convention::ContinentalOne: return "continental-1";
        case Convention::CrossedSeven: return "crossed-7";
        case Convention::OpenFour: return "open-4";
        case Convention::StraightNine: return "straight-9";
        case Convention::LoopedTwo: return "looped-2";
    }
    return "?";
}

int convention_digit(Convention c) {
    switch (c) {
        case Convention::SlashedZero: return 0;
        case Convention::ContinentalOne: return 1;
        case Convention::CrossedSeven: return 7;
        case Convention::OpenFour: return 4;
        case Convention::StraightNine: return 9;
        case Convention::LoopedTwo: return 2;
    }
    return -1;
}

bool convention_is_edit(Convention c) {
    return c == Convention::SlashedZero || c == Convention::ContinentalOne || c == Convention::CrossedSeven;
}

std::vector<Stroke> add_convention_mark(const std::vector<Stroke>& digit, Convention c, Rng& rng) {
    if (!convention_is_edit(c)) throw Error("convention " + convention_name(c) + " is drawn from a template, not an edit");
    const StrokeBox b = stroke_box(digit);
    if (b.empty()) throw Error("add_convention_mark: the digit has no strokes");
    const float w = std::max(b.x1 - b.x0, 0.15f * (b.y1 - b.y0)), h = std::max(1e-3f, b.y1 - b.y0);
    std::vector<Stroke> out = digit;
    if (c == Convention::SlashedZero) {
        // Corner to corner, a little past the ring; writers lean it either way, mostly like '/'.
        const float over = rng.uniform(0.0f, 0.15f);
        const bool forward = rng.uniform() < 0.8f;
        const float xa = b.x0 - over * w, xb = b.x1 + over * w;
        const float ya = b.y1 + over * h, yb = b.y0 - over * h;
        out.push_back(forward ? Stroke{{xa, ya}, {xb, yb}} : Stroke{{xa, yb}, {xb, ya}});
    } else if (c == Convention::ContinentalOne) {
        // The flag: from down-left up to the top of the stem, long enough to be read as a 7's bar.
        const Point2 top = [&] {
            Point2 t{0, 1e30f};
            for (const auto& s : digit)
                for (const auto& p : s)
                    if (p.y < t.y) t = p;
            return t;
        }();
        const float len = rng.uniform(0.3f, 0.5f) * h, angle = rng.uniform(20.0f, 45.0f) * kPi / 180.0f;
        out.push_back({{top.x - len * std::cos(angle), top.y + len * std::sin(angle)}, top});
        if (rng.uniform() < 0.3f) {  // a foot, as many continental writers add
            const float foot = rng.uniform(0.15f, 0.25f) * h;
            const float x = mean_x_in_band(digit, b, 0.9f, 1.0f, (b.x0 + b.x1) / 2);
            out.push_back({{x - foot, b.y1}, {x + foot, b.y1}});
        }
    } else {
        // The bar crosses the stem at about mid-height.
        const float t = rng.uniform(0.45f, 0.62f);
        const float x = mean_x_in_band(digit, b, t - 0.08f, t + 0.08f, (b.x0 + b.x1) / 2);
        const float y = b.y0 + t * h, half = rng.uniform(0.2f, 0.35f) * std::max(w, 0.5f * h);
        const float tilt = rng.uniform(-0.05f, 0.05f) * h;
        out.push_back({{x - half, y + tilt}, {x + half, y - tilt}});
    }
    return out;
}

std::vector<Stroke> convention_template(Convention c, Rng& rng) {
    switch (c) {
        case Convention::OpenFour: return hand(open_four(rng), rng);
        case Convention::StraightNine: return hand(straight_nine(rng), rng);
        case Convention::LoopedTwo: return hand(looped_two(rng), rng);
        default: throw Error("convention " + convention_name(c) + " is an edit of a real digit, not a template");
    }
}

std::vector<Stroke> segment_digit(int digit, Rng& rng) {
    if (digit < 0 || digit > 9) throw Error("a seven-segment digit is 0-9, not " + std::to_string(digit));
    // Corners of the two boxes: top left/right, middle left/right, bottom left/right.
    const float w = rng.uniform(0.5f, 0.7f), mid = rng.uniform(0.42f, 0.55f), x0 = 0.5f - w / 2, x1 = 0.5f + w / 2;
    enum { TL, TR, ML, MR, BL, BR };
    const Point2 at[6] = {{x0, 0.0f}, {x1, 0.0f}, {x0, mid}, {x1, mid}, {x0, 1.0f}, {x1, 1.0f}};
    static const std::vector<std::vector<std::vector<int>>> paths = {
        {{TL, TR, BR, BL, TL}},          {{TR, BR}},
        {{TL, TR, MR, ML, BL, BR}},      {{TL, TR, BR, BL}, {ML, MR}},
        {{TL, ML, MR}, {TR, BR}},        {{TR, TL, ML, MR, BR, BL}},
        {{TR, TL, BL, BR, MR, ML}},      {{TL, TR, BR}},
        {{TL, TR, BR, BL, TL}, {ML, MR}}, {{MR, ML, TL, TR, BR, BL}},
    };
    Point2 moved[6];
    for (int i = 0; i < 6; ++i) moved[i] = {at[i].x + rng.uniform(-0.04f, 0.04f), at[i].y + rng.uniform(-0.03f, 0.03f)};
    std::vector<Stroke> strokes;
    for (const auto& path : paths[std::size_t(digit)]) {
        Stroke s;
        for (int corner : path) s.push_back(moved[corner]);
        strokes.push_back(std::move(s));
    }
    return hand(strokes, rng);
}

}  // namespace cnn
