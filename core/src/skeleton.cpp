// Ink to strokes: the ink is read into an upsampled binary grid and thinned (thinning.hpp); here the
// thin lines are traced into a graph of paths between line ends and junctions, which is cleaned up
// (split crossings, spurs, specks) and joined into strokes.
#include "cnn/skeleton.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/error.hpp"
#include "thinning.hpp"

namespace cnn {

namespace {

// A skeleton path between two nodes; its interior pixels are Graph::path[begin, end).
struct Edge {
    int a = -1, b = -1;  // end nodes; -1 for a loop without nodes (then `closed`)
    int begin = 0, end = 0;
    int blob = 0;
    bool closed = false;
    bool removed = false;
    float length = 0;  // input pixels, node to node
};

// A line end (one pixel) or a junction (a cluster of touching pixels with 3 or more neighbours).
struct Node {
    double sx = 0, sy = 0;  // sum of its pixels' grid coordinates
    int pixels = 0;
    bool junction = false;
    int parent = 0;  // junctions merged into one crossing point to their lowest-numbered node
    int degree = 0;  // edge ends, counted when needed
};

struct Graph {
    std::vector<int> path;
    std::vector<Edge> edges;
    std::vector<Node> nodes;
};

int find_root(std::vector<Node>& nodes, int n) {
    while (nodes[n].parent != n) n = nodes[n].parent = nodes[nodes[n].parent].parent;
    return n;
}

Point2 node_point(const Grid& grid, const Node& n) {
    return grid.point(n.sx / n.pixels, n.sy / n.pixels);
}

// Appends the edge's polyline (node, interior pixels, node), walked from `a` to `b` or back.
void append_edge(const Grid& grid, const Graph& g, const Edge& e, bool forward, Stroke& out) {
    auto add = [&](Point2 p) {
        if (out.empty() || out.back().x != p.x || out.back().y != p.y) out.push_back(p);
    };
    const int first = forward ? e.a : e.b, last = forward ? e.b : e.a;
    if (first >= 0) add(node_point(grid, g.nodes[first]));
    for (int k = 0; k < e.end - e.begin; ++k) add(grid.pixel_point(g.path[forward ? e.begin + k : e.end - 1 - k]));
    if (e.closed) add(grid.pixel_point(g.path[e.begin]));
    if (last >= 0) add(node_point(grid, g.nodes[last]));
}

float polyline_length(const Stroke& s) {
    float len = 0;
    for (std::size_t i = 1; i < s.size(); ++i) len += std::hypot(s[i].x - s[i - 1].x, s[i].y - s[i - 1].y);
    return len;
}

void measure_edges(const Grid& grid, Graph& g) {
    Stroke scratch;
    for (Edge& e : g.edges) {
        scratch.clear();
        append_edge(grid, g, e, true, scratch);
        e.length = polyline_length(scratch);
    }
}

// Nodes are line ends (1 neighbour) and junction clusters (touching pixels with 3+ neighbours);
// edges follow the chains of 2-neighbour pixels between them. Chains that meet no node are loops.
Graph trace(Grid& grid, const std::vector<int>& skeleton, const std::vector<int>& blob_of) {
    Graph g;
    std::vector<int> node_of(grid.ink.size(), -1);
    std::vector<int> stack;
    for (int i : skeleton) {
        const int d = grid.degree(i);
        if (node_of[i] >= 0 || d == 2 || d == 0) continue;
        const int id = int(g.nodes.size());
        g.nodes.push_back({});
        g.nodes.back().parent = id;
        g.nodes.back().junction = d >= 3;
        node_of[i] = id;
        stack.assign(1, i);
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            Node& n = g.nodes[id];
            n.sx += grid.x_of(p);
            n.sy += grid.y_of(p);
            ++n.pixels;
            if (d == 1) break;
            for (int s : grid.step) {
                const int q = p + s;
                if (grid.ink[q] && node_of[q] < 0 && grid.degree(q) >= 3) {
                    node_of[q] = id;
                    stack.push_back(q);
                }
            }
        }
    }

    // Walks from pixel `from` into the unvisited chain pixel `first`; visited pixels are marked 2.
    auto walk = [&](int start_node, int from, int first) {
        Edge e;
        e.a = start_node;
        e.begin = int(g.path.size());
        e.blob = blob_of[first];
        int prev = from, cur = first;
        for (;;) {
            grid.ink[cur] = 2;
            g.path.push_back(cur);
            int next = -1;
            for (int s : grid.step)
                if (grid.ink[cur + s] && cur + s != prev) {
                    next = cur + s;
                    break;
                }
            if (next < 0) break;
            if (node_of[next] >= 0) {
                e.b = node_of[next];
                break;
            }
            if (grid.ink[next] == 2) {  // back at the start of a loop without nodes
                e.closed = next == first && start_node < 0;
                break;
            }
            prev = cur;
            cur = next;
        }
        e.end = int(g.path.size());
        g.edges.push_back(e);
    };
    for (int p : skeleton) {
        const int np = node_of[p];
        if (np < 0) continue;
        for (int s : grid.step) {
            const int q = p + s;
            if (!grid.ink[q]) continue;
            if (node_of[q] < 0) {
                if (grid.ink[q] == 1) walk(np, p, q);
            } else if (node_of[q] != np && p < q) {  // two nodes touching: an edge without pixels
                Edge e;
                e.a = np;
                e.b = node_of[q];
                e.begin = e.end = int(g.path.size());
                e.blob = blob_of[p];
                g.edges.push_back(e);
            }
        }
    }
    for (int p : skeleton)
        if (grid.ink[p] == 1 && node_of[p] < 0 && grid.degree(p) == 2) walk(-1, -1, p);
    measure_edges(grid, g);
    return g;
}

void count_degrees(Graph& g) {
    for (Node& n : g.nodes) n.degree = 0;
    for (const Edge& e : g.edges)
        if (!e.removed && !e.closed) {
            if (e.a >= 0) ++g.nodes[e.a].degree;
            if (e.b >= 0) ++g.nodes[e.b].degree;
        }
}

// Thinning splits a crossing into two junctions joined by a short edge (an X becomes two Ys) and
// leaves tiny loops where a junction's pixels touch each other; both become one crossing point.
void merge_crossings(const Grid& grid, Graph& g, float min_branch) {
    for (Edge& e : g.edges) {
        if (e.closed || e.a < 0 || e.b < 0 || !g.nodes[e.a].junction || !g.nodes[e.b].junction) continue;
        const int ra = find_root(g.nodes, e.a), rb = find_root(g.nodes, e.b);
        if (ra == rb || e.length >= min_branch) continue;
        const int keep = std::min(ra, rb), gone = std::max(ra, rb);
        g.nodes[keep].sx += g.nodes[gone].sx;
        g.nodes[keep].sy += g.nodes[gone].sy;
        g.nodes[keep].pixels += g.nodes[gone].pixels;
        g.nodes[gone].parent = keep;
        e.removed = true;
    }
    for (Edge& e : g.edges)
        if (!e.closed) {
            if (e.a >= 0) e.a = find_root(g.nodes, e.a);
            if (e.b >= 0) e.b = find_root(g.nodes, e.b);
        }
    measure_edges(grid, g);
    // A loop this small is a blot in the ink, not a hole anyone drew.
    for (Edge& e : g.edges)
        if (!e.closed && e.a >= 0 && e.a == e.b && e.length < 2 * min_branch) e.removed = true;
}

// The edges at each node (a loop once).
std::vector<std::vector<int>> incident_edges(const Graph& g) {
    std::vector<std::vector<int>> incident(g.nodes.size());
    for (int k = 0; k < int(g.edges.size()); ++k) {
        const Edge& e = g.edges[k];
        if (e.removed || e.closed) continue;
        if (e.a >= 0) incident[e.a].push_back(k);
        if (e.b >= 0 && e.b != e.a) incident[e.b].push_back(k);
    }
    return incident;
}

// Removes end branches shorter than min_branch: thinning grows them from corners and blunt stroke
// ends. A junction keeps at least two branches, the longest, so that a stroke is not cut short.
void prune_spurs(Graph& g, float min_branch) {
    count_degrees(g);
    const std::vector<std::vector<int>> incident = incident_edges(g);
    std::vector<int> spurs;
    for (int j = 0; j < int(g.nodes.size()); ++j) {
        if (g.nodes[j].degree < 3) continue;
        spurs.clear();
        for (int k : incident[j]) {
            const Edge& e = g.edges[k];
            const int other = e.a == j ? e.b : e.a;
            if (other != j && e.length < min_branch && (other < 0 || g.nodes[other].degree == 1)) spurs.push_back(k);
        }
        const int keep = std::max(0, 2 - (g.nodes[j].degree - int(spurs.size())));
        std::stable_sort(spurs.begin(), spurs.end(),
                         [&](int x, int y) { return g.edges[x].length > g.edges[y].length; });
        for (std::size_t s = std::size_t(keep); s < spurs.size(); ++s) g.edges[spurs[s]].removed = true;
    }
    count_degrees(g);
}

struct Traced {
    Stroke points;
    int blob = 0;
    float length = 0;
};

// Joins edges through the nodes with exactly two of them: strokes run from line end or junction to
// line end or junction. Whatever is left are loops.
std::vector<Traced> join_edges(const Grid& grid, const Graph& g) {
    const std::vector<std::vector<int>> incident = incident_edges(g);
    std::vector<char> used(g.edges.size(), 0);
    std::vector<Traced> out;
    auto follow = [&](int node, int k) {
        Traced t;
        t.blob = g.edges[k].blob;
        for (;;) {
            const Edge& e = g.edges[k];
            used[k] = 1;
            const bool forward = e.a == node || e.closed;
            append_edge(grid, g, e, forward, t.points);
            t.length += e.length;
            node = forward ? e.b : e.a;
            if (node < 0 || g.nodes[node].degree != 2) break;
            k = -1;
            for (int next : incident[node])
                if (!used[next]) k = next;
            if (k < 0) break;
        }
        out.push_back(std::move(t));
    };
    for (int n = 0; n < int(g.nodes.size()); ++n)
        if (g.nodes[n].degree != 2)
            for (int k : incident[n])
                if (!used[k]) follow(n, k);
    for (int k = 0; k < int(g.edges.size()); ++k)
        if (!used[k] && !g.edges[k].removed) follow(g.edges[k].a, k);
    return out;
}

float segment_distance(const Point2& p, const Point2& a, const Point2& b) {
    const float dx = b.x - a.x, dy = b.y - a.y;
    const float len2 = dx * dx + dy * dy;
    const float t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0f, 1.0f) : 0.0f;
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
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

std::vector<Stroke> skeleton_strokes(const float* pixels, int width, int height, const SkeletonOptions& o) {
    check_options(o);
    Grid grid = read_ink(pixels, width, height, o.threshold, o.upsample);
    if (grid.inked.empty()) return {};
    const Blobs blobs = label_blobs(grid);
    const std::vector<int> skeleton = thin(grid);
    Graph g = trace(grid, skeleton, blobs.label);
    merge_crossings(grid, g, o.min_branch);
    prune_spurs(g, o.min_branch);
    const std::vector<Traced> traced = join_edges(grid, g);

    // A blob with (almost) no centre line is a dot or a speck of noise.
    std::vector<float> line(blobs.area.size(), 0.0f);
    for (const Traced& t : traced) line[t.blob] += t.length;
    std::vector<Stroke> strokes;
    for (const Traced& t : traced)
        if (line[t.blob] >= o.min_branch) strokes.push_back(simplify(t.points, o.simplify));
    const double pixel_area = double(grid.scale) * grid.scale;
    for (std::size_t b = 0; b < line.size(); ++b)
        if (line[b] < o.min_branch && blobs.area[b] / pixel_area >= o.min_dot_area)
            strokes.push_back({grid.point(blobs.sx[b] / blobs.area[b], blobs.sy[b] / blobs.area[b])});
    return strokes;
}

}  // namespace cnn
