#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "text_format.hpp"

namespace tools {

namespace {

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

double nice_step(double range, int count) {
    const double raw = range / std::max(1, count);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= m * mag * (1 + 1e-9)) return m * mag;
    return 10 * mag;
}

// Enough decimals to tell adjacent ticks apart, no more.
std::string tick_label(double v, double step) {
    int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    if (std::fabs(std::round(step * std::pow(10.0, decimals)) - step * std::pow(10.0, decimals)) > 1e-6)
        ++decimals;
    if (std::fabs(v) < step * 1e-6) v = 0;  // no "-0.0"
    return format("%.*f", decimals, v);
}

// Data range padded like matplotlib's default margins (5%), never empty.
void padded_range(double& lo, double& hi) {
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
        return;
    }
    if (hi - lo < 1e-12) {
        const double d = std::max(std::fabs(lo) * 0.1, 0.05);
        lo -= d;
        hi += d;
        return;
    }
    const double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
}

struct Box {
    double x, y, w, h;  // plot area in SVG units
};

void draw_panel(std::string& svg, const Panel& panel, const Chart& chart, const Box& b) {
    double xlo = chart.x.empty() ? 0 : *std::min_element(chart.x.begin(), chart.x.end());
    double xhi = chart.x.empty() ? 1 : *std::max_element(chart.x.begin(), chart.x.end());
    double ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
    for (const auto& s : panel.series)
        for (double v : s.y)
            if (std::isfinite(v)) {
                ylo = std::min(ylo, v);
                yhi = std::max(yhi, v);
            }
    padded_range(xlo, xhi);
    padded_range(ylo, yhi);
    auto px = [&](double v) { return b.x + (v - xlo) / (xhi - xlo) * b.w; };
    auto py = [&](double v) { return b.y + b.h - (v - ylo) / (yhi - ylo) * b.h; };

    svg += format(
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" stroke=\"none\"/>\n",
        b.x, b.y, b.w, b.h);
    // Grid and ticks. Epoch ticks are whole numbers.
    std::vector<double> xt = nice_ticks(xlo, xhi, 8);
    xt.erase(
        std::remove_if(xt.begin(), xt.end(), [](double v) { return std::fabs(v - std::round(v)) > 1e-9; }),
        xt.end());
    const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
    for (double v : xt) {
        const double x = px(v);
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", x, b.y,
                      x, b.y + b.h);
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x,
                      b.y + b.h, x, b.y + b.h + 5);
        svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, b.y + b.h + 19,
                      tick_label(v, xstep).c_str());
    }
    const std::vector<double> yt = nice_ticks(ylo, yhi, 6);
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
    for (double v : yt) {
        const double y = py(v);
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", b.x, y,
                      b.x + b.w, y);
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", b.x - 5, y,
                      b.x, y);
        svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", b.x - 8, y + 4,
                      tick_label(v, ystep).c_str());
    }
    if (std::isfinite(chart.marker_x) && chart.marker_x > 0) {
        const double x = px(chart.marker_x);
        svg += format(
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
            "stroke-dasharray=\"5,4\"/>\n",
            x, b.y, x, b.y + b.h);
        svg += format(
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#666\" font-size=\"11\">%s</text>\n",
            x, b.y - 4, xml_escape(chart.marker_label).c_str());
    }
    // Curves with point markers.
    for (const auto& s : panel.series) {
        std::string path;
        bool pen_down = false;
        for (std::size_t i = 0; i < s.y.size() && i < chart.x.size(); ++i) {
            if (!std::isfinite(s.y[i])) {
                pen_down = false;
                continue;
            }
            path += format("%s%.1f,%.1f ", pen_down ? "L" : "M", px(chart.x[i]), py(s.y[i]));
            pen_down = true;
        }
        if (path.empty()) continue;
        svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\"/>\n";
        for (std::size_t i = 0; i < s.y.size() && i < chart.x.size(); ++i)
            if (std::isfinite(s.y[i]))
                svg += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(chart.x[i]),
                              py(s.y[i]), s.color.c_str());
    }
    // Frame, labels, title.
    svg +=
        format("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
               b.x, b.y, b.w, b.h);
    svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
                  b.x + b.w / 2, b.y - 24, xml_escape(panel.title).c_str());
    svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
                  b.x + b.w / 2, b.y + b.h + 40, xml_escape(chart.xlabel).c_str());
    svg += format(
        "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\" "
        "font-size=\"13\">%s</text>\n",
        b.x - 52, b.y + b.h / 2, xml_escape(panel.ylabel).c_str());
    // Legend.
    int shown = 0;
    for (const auto& s : panel.series)
        if (std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); })) ++shown;
    const double lw = 130, lh = 10 + 20.0 * shown;
    const double lx = b.x + b.w - lw - 10, ly = panel.legend_at_top ? b.y + 10 : b.y + b.h - lh - 10;
    if (shown == 0) return;
    svg += format(
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" fill-opacity=\"0.85\" "
        "stroke=\"#ccc\" rx=\"3\"/>\n",
        lx, ly, lw, lh);
    int row = 0;
    for (const auto& s : panel.series) {
        if (std::none_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); })) continue;
        const double y = ly + 15 + 20.0 * row++;
        svg += format(
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
            lx + 10, y, lx + 36, y, s.color.c_str());
        svg += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", lx + 23, y, s.color.c_str());
        svg += format("<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 44, y + 4, xml_escape(s.name).c_str());
    }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int count) {
    std::vector<double> ticks;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
    const double step = nice_step(hi - lo, count);
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
        ticks.push_back(std::round(v / step) * step);
    return ticks;
}

std::string render_svg(const Chart& chart) {
    const double panel_w = 480, panel_h = 400;
    const double left = 78, right = 22, top = 76, bottom = 64;
    const double width = panel_w * double(std::max<std::size_t>(1, chart.panels.size()));
    std::string svg = format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
        "font-size=\"12\" fill=\"#222\">\n",
        width, panel_h, width, panel_h);
    svg += format("<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\"/>\n", width, panel_h);
    svg += format(
        "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">%s</text>\n",
        width / 2, xml_escape(chart.title).c_str());
    for (std::size_t i = 0; i < chart.panels.size(); ++i)
        draw_panel(svg, chart.panels[i], chart,
                   {panel_w * double(i) + left, top, panel_w - left - right, panel_h - top - bottom});
    return svg + "</svg>\n";
}

}  // namespace tools
