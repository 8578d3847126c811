#include "image/skeleton_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "image/polyline.hpp"

namespace cnn::skeleton {

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
    Point2 pos;             // where its edges meet, input coordinates
    bool junction = false;
    int parent = 0;         // junctions merged into one crossing point to their lowest-numbered node
    int degree = 0;         // edge ends, counted when needed
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

// Appends the edge's polyline (node, interior pixels, node), walked from `a` to `b` or back.
void append_edge(const Grid& grid, const Graph& g, const Edge& e, bool forward, Stroke& out) {
    auto add = [&](Point2 p) {
        if (out.empty() || out.back().x != p.x || out.back().y != p.y) out.push_back(p);
    };
    const int first = forward ? e.a : e.b, last = forward ? e.b : e.a;
    if (first >= 0) add(g.nodes[first].pos);
    for (int k = 0; k < e.end - e.begin; ++k) add(grid.pixel_point(g.path[forward ? e.begin + k : e.end - 1 - k]));
    if (e.closed) add(grid.pixel_point(g.path[e.begin]));
    if (last >= 0) add(g.nodes[last].pos);
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
Graph trace(const Grid& grid, const std::vector<int>& skeleton, const std::vector<int>& blob_of) {
    Graph g;
    std::vector<int> node_of(grid.ink.size(), -1);
    std::vector<std::uint8_t> visited(grid.ink.size(), 0);
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

    // Walks from pixel `from` into the unvisited chain pixel `first`.
    auto walk = [&](int start_node, int from, int first) {
        Edge e;
        e.a = start_node;
        e.begin = int(g.path.size());
        e.blob = blob_of[first];
        int prev = from, cur = first;
        for (;;) {
            visited[cur] = 1;
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
            if (visited[next]) {  // back at the start of a loop without nodes
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
                if (!visited[q]) walk(np, p, q);
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
        if (!visited[p] && node_of[p] < 0 && grid.degree(p) == 2) walk(-1, -1, p);
    for (Node& n : g.nodes) n.pos = grid.point(n.sx / n.pixels, n.sy / n.pixels);
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

// Thinning splits a crossing into two junctions joined by an edge (an X becomes two Ys, the more
// apart the more acute the X) and leaves tiny loops where a junction's pixels touch each other.
// Junctions closer than `crossing` become one crossing point; loops shorter than 2 * min_branch go.
void merge_crossings(const Grid& grid, Graph& g, float crossing, float min_branch) {
    bool merged = false;
    for (Edge& e : g.edges) {
        if (e.closed || e.a < 0 || e.b < 0 || !g.nodes[e.a].junction || !g.nodes[e.b].junction) continue;
        const int ra = find_root(g.nodes, e.a), rb = find_root(g.nodes, e.b);
        if (ra == rb || e.length >= crossing) continue;
        Node &keep = g.nodes[std::min(ra, rb)], &gone = g.nodes[std::max(ra, rb)];
        keep.sx += gone.sx;
        keep.sy += gone.sy;
        keep.pixels += gone.pixels;
        keep.pos = grid.point(keep.sx / keep.pixels, keep.sy / keep.pixels);
        gone.parent = std::min(ra, rb);
        e.removed = merged = true;
    }
    if (merged) {
        for (Edge& e : g.edges)
            if (!e.closed) {
                if (e.a >= 0) e.a = find_root(g.nodes, e.a);
                if (e.b >= 0) e.b = find_root(g.nodes, e.b);
            }
        measure_edges(grid, g);
    }
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

// Removes end branches shorter than `shortest`: thinning grows them at blunt stroke ends (as a
// fork; extend_end in skeleton.cpp restores the stroke's length) and towards sharp corners
// (sharpen_corners there). A junction with nothing but spurs keeps the two longest, so that a
// star-shaped blot stays a line.
void prune_spurs(Graph& g, float shortest) {
    count_degrees(g);
    const std::vector<std::vector<int>> incident = incident_edges(g);
    std::vector<int> spurs;
    for (int j = 0; j < int(g.nodes.size()); ++j) {
        if (g.nodes[j].degree < 3) continue;
        spurs.clear();
        for (int k : incident[j]) {
            const Edge& e = g.edges[k];
            const int other = e.a == j ? e.b : e.a;
            if (other != j && e.length < shortest && (other < 0 || g.nodes[other].degree == 1)) spurs.push_back(k);
        }
        if (spurs.empty()) continue;
        const int keep = g.nodes[j].degree > int(spurs.size()) ? 0 : 2;
        std::stable_sort(spurs.begin(), spurs.end(),
                         [&](int x, int y) { return g.edges[x].length > g.edges[y].length; });
        for (std::size_t s = std::size_t(keep); s < spurs.size(); ++s) g.edges[spurs[s]].removed = true;
    }
    count_degrees(g);
}

// Joins edges through the nodes with exactly two of them: strokes run from line end or junction to
// line end or junction. Whatever is left are loops.
std::vector<Traced> join_edges(const Grid& grid, const Graph& g) {
    const std::vector<std::vector<int>> incident = incident_edges(g);
    std::vector<char> used(g.edges.size(), 0);
    std::vector<Traced> out;
    auto is_free = [&](int node) { return node < 0 || g.nodes[node].degree == 1; };
    auto junction = [&](int node) { return node >= 0 && g.nodes[node].degree >= 3 ? node : -1; };
    auto follow = [&](int node, int k, bool closed) {
        Traced t;
        t.blob = g.edges[k].blob;
        t.closed = closed;
        t.free[0] = !closed && is_free(node);
        t.junction[0] = junction(node);
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
        t.free[1] = !closed && is_free(node);
        t.junction[1] = junction(node);
        out.push_back(std::move(t));
    };
    for (int n = 0; n < int(g.nodes.size()); ++n)
        if (g.nodes[n].degree != 2)
            for (int k : incident[n])
                if (!used[k]) follow(n, k, false);
    // What is left are loops: through nodes with two edges only, or through none.
    for (int k = 0; k < int(g.edges.size()); ++k)
        if (!used[k] && !g.edges[k].removed) follow(g.edges[k].a, k, true);
    return out;
}

// The pen's width: the ink's width across the edges, every few pixels. A cut near a corner or a
// junction runs into other ink and is too wide, one near a round end too narrow, and a digit has
// many of the former: the lower quartile. Without such cuts, the ink's area over the length.
float pen_width(const Grid& grid, const Blobs& blobs, const Graph& g) {
    std::vector<float> widths;
    const int s = grid.scale;
    for (const Edge& e : g.edges)
        for (int mid = e.begin + s; mid + s < e.end; mid += 4 * s) {
            const Point2 along = direction(grid.pixel_point(g.path[mid - s]), grid.pixel_point(g.path[mid + s]));
            const Point2 m = grid.pixel_point(g.path[mid]), n{-along.y, along.x};
            widths.push_back(ink_reach(grid.field, m, n) + ink_reach(grid.field, m, {-n.x, -n.y}));
        }
    if (!widths.empty()) {
        std::nth_element(widths.begin(), widths.begin() + std::ptrdiff_t(widths.size() / 4), widths.end());
        return widths[widths.size() / 4];
    }
    double area = 0, length = 0;
    for (double a : blobs.area) area += a / (double(s) * s);
    for (const Edge& e : g.edges) length += e.length;
    return length > 0 ? float(area / length) : 0.0f;
}

}  // namespace

TracedSkeleton trace_skeleton(const Grid& grid, const Blobs& blobs, const std::vector<int>& skeleton,
                              float min_branch) {
    Graph g = trace(grid, skeleton, blobs.label);
    TracedSkeleton out;
    out.pen = pen_width(grid, blobs, g);
    // Two junctions within a pen width are one place in the drawing.
    merge_crossings(grid, g, std::max(min_branch, out.pen), min_branch);
    prune_spurs(g, min_branch);
    out.strokes = join_edges(grid, g);
    out.junctions = int(g.nodes.size());
    return out;
}

}  // namespace cnn::skeleton
