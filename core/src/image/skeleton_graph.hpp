// The second step of skeleton_strokes (skeleton.hpp): the thinned pixels (thinning.hpp) traced into
// a graph of paths between line ends and junctions, cleaned up, and joined into polylines.
#pragma once

#include <vector>

#include "cnn/image/pen.hpp"
#include "image/thinning.hpp"

namespace cnn::skeleton {

// A traced polyline through skeleton pixel centres, in input coordinates.
struct Traced {
    Stroke points;
    int blob = 0;                   // the ink blob it lies in
    float length = 0;               // input pixels
    bool closed = false;            // a loop through no junction; its last point repeats its first
    bool free[2] = {false, false};  // front, back: a line end
    int junction[2] = {-1, -1};     // front, back: the junction there, 0..junctions-1, or -1
};

struct TracedSkeleton {
    std::vector<Traced> strokes;
    int junctions = 0;  // an upper bound of Traced::junction
    float pen = 0;      // the pen's width as measured across the ink (input pixels)
};

// Traces the skeleton (thin's pixels) into paths between line ends and junctions, merges crossings
// that thinning split in two, prunes spurs shorter than min_branch, and joins paths through nodes
// with two of them, so that strokes run between line ends and junctions, or round a loop.
TracedSkeleton trace_skeleton(const Grid& grid, const Blobs& blobs, const std::vector<int>& skeleton,
                              float min_branch);

}  // namespace cnn::skeleton
