// Hand-written SVG line charts in the style of matplotlib report figures: side-by-side panels
// with axes, ticks, grid, axis labels, titles and a legend.
#pragma once

#include <string>
#include <vector>

namespace tools {

struct Series {
    std::string name;
    std::vector<double> y;  // one value per x; NaN leaves a gap
    std::string color;      // CSS colour
};

struct Panel {
    std::string title;
    std::string ylabel;
    std::vector<Series> series;
    bool legend_at_top = true;  // else bottom right, where a rising curve leaves room
};

struct Chart {
    std::string title;
    std::string xlabel;
    std::vector<double> x;  // shared by every panel
    double marker_x = 0;    // a dashed vertical line (e.g. the best epoch); NaN or 0 for none
    std::string marker_label;
    std::vector<Panel> panels;
};

std::string render_svg(const Chart& chart);

// Round tick positions ("nice numbers": 1, 2, 5 x 10^k) covering [lo, hi], about `count` of them.
std::vector<double> nice_ticks(double lo, double hi, int count);

}  // namespace tools
