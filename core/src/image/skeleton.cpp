// Ink to strokes: the ink is read into an upsampled binary grid and thinned (thinning.hpp), the
// thin lines traced into polylines (skeleton_graph.hpp), and here those are finished where thinning
// falls short of the pen's path: smoothed, lengthened at their ends, simplified, put back in the
// middle of the ink, sharp at sharp corners.
#include "cnn/image/skeleton.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "cnn/base/error.hpp"
#include "image/polyline.hpp"
#include "image/skeleton_graph.hpp"
#include "image/thinning.hpp"

namespace cnn::skeleton {

namespace {

// Replaces each inner point b of s (every point of a closed s, whose last point repeats its first)
// by f(a, b, c), a and c being its neighbours as they were.
template <class F>
void map_inner_points(Stroke& s, bool closed, F f) {
    closed = closed && s.size() > 3 && s.front().x == s.back().x && s.front().y == s.back().y;
    const std::size_t n = closed ? s.size() - 1 : s.size();
    if (n < 3) return;
    const Stroke was = s;
    for (std::size_t i = closed ? 0 : 1; i < (closed ? n : n - 1); ++i)
        s[i] = f(was[(i + n - 1) % n], was[i], was[(i + 1) % n]);
    if (closed) s[n] = s[0];
}

// Pixel centres step in stairs of 1/scale pixels; a [1 2 1] filter halves them, so that fewer
// survive simplification. The ends stay where they are: junctions must still meet.
void smooth(Traced& t) {
    map_inner_points(t.points, t.closed, [](Point2 a, Point2 b, Point2 c) {
        return Point2{(a.x + 2 * b.x + c.x) / 4, (a.y + 2 * b.y + c.y) / 4};
    });
}

// The middle of the ink across the stroke through p (unit direction `along`). Thinning leaves a
// band with an even number of pixels off centre by half a pixel, always to the same side, which a
// pen as thin as MNIST's turns into a whole row of pixels more on one side than on the other. Only
// a cut about as wide as the pen is across this one stroke: a wider one runs into another stroke
// or along a corner, and gives nothing. The move is at most half a grid pixel, the error mended.
std::optional<Point2> centred(Point2 p, Point2 along, float pen, const Grid& grid, float* half_width = nullptr) {
    const Point2 n{-along.y, along.x};
    const float left = ink_reach(grid.field, p, n), right = ink_reach(grid.field, p, {-n.x, -n.y});
    if (half_width) *half_width = (left + right) / 2;
    if (left + right > 1.5f * pen) return std::nullopt;
    const float limit = 0.5f / float(grid.scale);
    return moved(p, n, std::clamp((left - right) / 2, -limit, limit));
}

// Thinning stops short of a stroke's round end, by up to the pen's radius, and its last pixels
// wander. The end moves on along the stroke's direction over a pen width, from the middle of the
// ink there, until it is as far from the end of the ink as from its sides, as a pen's centre would.
void extend_end(Stroke& s, bool back, float pen, const Grid& grid) {
    if (s.size() < 2) return;
    Point2& end = back ? s.back() : s.front();
    const Point2 from = point_along(s, back, std::max(1.0f, pen));
    const Point2 rough = direction(from, end);
    if (rough.x == 0 && rough.y == 0) return;
    float side = 0;
    const Point2 tip = centred(end, rough, pen, grid, &side).value_or(end);
    const Point2 dir = direction(centred(from, rough, pen, grid).value_or(from), tip);
    end = tip;
    if (dir.x == 0 && dir.y == 0) return;
    const float ahead = ink_reach(grid.field, tip, dir);
    end = moved(tip, dir, std::max(0.0f, ahead - side));
}

// Centres the inner points of a simplified stroke where it runs on fairly straight: at a turn of
// more than 40 degrees, or within a pen width of a junction, a cut is not across one stroke.
void centre_vertices(Traced& t, float pen, const Grid& grid) {
    const Point2 ends[2] = {t.points.front(), t.points.back()};
    auto near_junction = [&](Point2 p) {
        return (t.junction[0] >= 0 && distance(p, ends[0]) < pen) || (t.junction[1] >= 0 && distance(p, ends[1]) < pen);
    };
    map_inner_points(t.points, t.closed, [&](Point2 a, Point2 b, Point2 c) {
        if (near_junction(b) || dot(direction(a, b), direction(b, c)) < 0.75f) return b;
        return centred(b, direction(a, c), pen, grid).value_or(b);
    });
}

// Thinning cuts sharp corners short. Where the simplified stroke turns by more than 60 degrees, the
// point moves out along the bisector to where a pen's centre would turn, pen / 2 inside the ink's
// corner (at most two pen widths: further, the ink is not this corner's).
void sharpen_corners(Traced& t, float pen, const Grid& grid) {
    map_inner_points(t.points, t.closed, [&](Point2 a, Point2 b, Point2 c) {
        const Point2 u = direction(b, a), v = direction(b, c);
        if (dot(u, v) < -0.5f) return b;
        const Point2 out = direction({u.x + v.x, u.y + v.y}, {0, 0});
        return moved(b, out, std::clamp(ink_reach(grid.field, b, out) - pen / 2, 0.0f, 2 * pen));
    });
}

// Junctions are off centre like the rest of the skeleton, but have no one direction to centre
// across. Each branch's centre line is found a little way out; the junction moves (at most a grid
// pixel) to where those lines meet, in the least-squares sense (slightly damped: branches in one
// line say nothing about the direction along it).
void centre_junctions(std::vector<Traced>& traced, int junctions, float pen, const Grid& grid) {
    struct Fit {
        double xx = 0, xy = 0, yy = 0, x = 0, y = 0;
    };
    std::vector<Fit> fits(std::size_t(junctions), Fit{});
    // Far enough out to be clear of the other branches' ink, unless they meet at a sharp angle.
    const float near = 1.5f * pen, far = near + 2;
    for (Traced& t : traced)
        for (int end = 0; end < 2; ++end) {
            if (t.junction[end] < 0 || t.length < far) continue;
            const Point2 j = end == 0 ? t.points.front() : t.points.back();
            const Point2 q1 = point_along(t.points, end == 1, near), q2 = point_along(t.points, end == 1, far);
            const Point2 rough = direction(q1, q2);
            const std::optional<Point2> c1 = centred(q1, rough, pen, grid), c2 = centred(q2, rough, pen, grid);
            if (!c1 || !c2 || distance(*c1, *c2) == 0) continue;
            const Point2 along = direction(*c1, *c2), n{-along.y, along.x};
            const double off = dot({c1->x - j.x, c1->y - j.y}, n);  // from the junction to the line
            Fit& f = fits[std::size_t(t.junction[end])];
            f.xx += n.x * n.x, f.xy += n.x * n.y, f.yy += n.y * n.y;
            f.x += off * n.x, f.y += off * n.y;
        }
    std::vector<Point2> move(fits.size());
    const double limit = 1.0 / grid.scale;
    for (std::size_t j = 0; j < fits.size(); ++j) {
        const Fit& f = fits[j];
        const double a = f.xx + 0.01, b = f.xy, d = f.yy + 0.01, det = a * d - b * b;
        const double dx = (d * f.x - b * f.y) / det, dy = (a * f.y - b * f.x) / det;
        const double scale = std::min(1.0, limit / std::max(std::sqrt(dx * dx + dy * dy), 1e-12));
        move[j] = {float(dx * scale), float(dy * scale)};
    }
    for (Traced& t : traced)
        for (int end = 0; end < 2; ++end)
            if (t.junction[end] >= 0) {
                Point2& p = end == 0 ? t.points.front() : t.points.back();
                p = moved(p, move[std::size_t(t.junction[end])], 1);
            }
}

// Douglas-Peucker with an explicit stack: a long skeleton must not overflow the call stack.
Stroke simplify(const Stroke& s, float tolerance) {
    if (s.size() < 3) return s;
    std::vector<char> keep(s.size(), 0);
    keep.front() = keep.back() = 1;
    std::vector<std::pair<std::size_t, std::size_t>> todo{{0, s.size() - 1}};
    while (!todo.empty()) {
        const auto [i, j] = todo.back();
        todo.pop_back();
        float worst = tolerance;
        std::size_t at = 0;
        for (std::size_t k = i + 1; k < j; ++k) {
            const float d = segment_distance(s[k], s[i], s[j]);
            if (d > worst) {
                worst = d;
                at = k;
            }
        }
        if (at == 0) continue;
        keep[at] = 1;
        todo.push_back({i, at});
        todo.push_back({at, j});
    }
    Stroke out;
    for (std::size_t k = 0; k < s.size(); ++k)
        if (keep[k]) out.push_back(s[k]);
    return out;
}

void check_options(const SkeletonOptions& o) {
    auto bad = [](const std::string& what) { throw Error("skeleton_strokes: " + what); };
    if (!(o.threshold >= 0 && o.threshold < 1)) bad("threshold must be in [0, 1)");
    if (o.upsample < 1 || o.upsample > 8) bad("upsample must be 1..8, not " + std::to_string(o.upsample));
    if (!(o.min_branch >= 0 && std::isfinite(o.min_branch))) bad("min_branch must be finite and >= 0");
    if (!(o.min_dot_area >= 0 && std::isfinite(o.min_dot_area))) bad("min_dot_area must be finite and >= 0");
    if (!(o.simplify >= 0 && std::isfinite(o.simplify))) bad("simplify must be finite and >= 0");
}

}  // namespace

}  // namespace cnn::skeleton

namespace cnn {

std::vector<Stroke> skeleton_strokes(const float* pixels, int width, int height, const SkeletonOptions& o) {
    using namespace skeleton;
    check_options(o);
    Grid grid = read_ink(pixels, width, height, o.threshold, o.upsample);
    if (grid.inked.empty()) return {};
    const Blobs blobs = label_blobs(grid);
    const std::vector<int> thinned = thin(grid);
    TracedSkeleton traced = trace_skeleton(grid, blobs, thinned, o.min_branch);
    centre_junctions(traced.strokes, traced.junctions, traced.pen, grid);

    // A blob with (almost) no centre line is a dot or a speck of noise.
    std::vector<float> line(blobs.area.size(), 0.0f);
    std::vector<char> traced_blob(blobs.area.size(), 0);
    for (const Traced& t : traced.strokes) line[std::size_t(t.blob)] += t.length, traced_blob[std::size_t(t.blob)] = 1;
    std::vector<char> dot(blobs.area.size(), 0);
    for (std::size_t b = 0; b < dot.size(); ++b) dot[b] = !traced_blob[b] || line[b] < o.min_branch;
    std::vector<Stroke> strokes;
    for (Traced& t : traced.strokes) {
        if (dot[std::size_t(t.blob)]) continue;
        smooth(t);
        if (t.free[0]) extend_end(t.points, false, traced.pen, grid);
        if (t.free[1]) extend_end(t.points, true, traced.pen, grid);
        t.points = simplify(t.points, o.simplify);
        centre_vertices(t, traced.pen, grid);
        sharpen_corners(t, traced.pen, grid);
        strokes.push_back(std::move(t.points));
    }
    const double pixel_area = double(grid.scale) * grid.scale;
    for (std::size_t b = 0; b < dot.size(); ++b)
        if (dot[b] && blobs.area[b] / pixel_area >= o.min_dot_area)
            strokes.push_back({grid.point(blobs.sx[b] / blobs.area[b], blobs.sy[b] / blobs.area[b])});
    return strokes;
}

}  // namespace cnn
