#include "hershey_set.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/image/pen.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/file_io.hpp"
#include "hershey.hpp"

namespace fs = std::filesystem;

namespace tools {

namespace {

// One font per distinct set of digits: Debian's 33 .jhf files hold only seven designs of the
// numerals (rowmans, cursive and greek share futural's; rowmand futuram's; cyrillic and greekc
// timesr's; timesrb rowmant's; scripts and scriptc timesi's; the Gothic fonts one blackletter set).
// Single-stroke sans, double-stroke sans, serif, bold serif, italic and bold italic; the
// blackletter set (gothiceng) is left out, as few people draw digits like that.
}  // namespace

const std::vector<std::string> kHersheyDigitFonts = {"futural", "futuram", "timesr", "rowmant", "timesi", "timesib"};

namespace {

// The digits' strokes as text, to notice fonts whose digits are the same.
std::string digits_key(const std::vector<cnn::HersheyGlyph>& font, const std::string& what) {
    std::string key;
    for (int d = 0; d < 10; ++d) {
        for (const auto& stroke : cnn::hershey_digit(font, d, what).strokes) {
            for (const auto& p : stroke)
                key += std::to_string(int(p.x)) + "," + std::to_string(int(p.y)) + ";";
            key += "|";
        }
        key += "#";
    }
    return key;
}


constexpr float kPi = 3.14159265f;

}  // namespace

cnn::GrayImage draw_hershey_glyph(const cnn::HersheyGlyph& glyph, const HersheyStyle& o, cnn::Rng& rng) {
    const int canvas = o.canvas;
    const float side = float(canvas);
    const float slant = rng.uniform(-0.3f, 0.3f);                       // x shift per unit of height
    const float angle = rng.uniform(-10.0f, 10.0f) * kPi / 180.0f;      // whole-digit rotation
    const float aspect = rng.uniform(0.8f, 1.2f);                       // width stretch
    const float height = rng.uniform(o.height[0], o.height[1]) * side;  // digit height on the pad
    const float pen = rng.uniform(o.pen[0], o.pen[1]) * side;           // the page's pen is 0.08
    const float wobble = rng.uniform(0.0f, 0.03f) * height;             // a hand is not a plotter
    const float k1 = rng.uniform(0.5f, 2.0f) * 2 * kPi / height,
                k2 = rng.uniform(0.5f, 2.0f) * 2 * kPi / height;
    const float p1 = rng.uniform(0, 2 * kPi), p2 = rng.uniform(0, 2 * kPi);

    // Font units -> centred, stretched, slanted, rotated.
    const cnn::StrokeBox g = cnn::stroke_box(glyph.strokes);
    const float cx = (g.x0 + g.x1) / 2, cy = (g.y0 + g.y1) / 2;
    const float ca = std::cos(angle), sa = std::sin(angle);
    std::vector<cnn::Stroke> strokes = glyph.strokes;
    for (auto& s : strokes)
        for (auto& p : s) {
            const float x = (p.x - cx) * aspect, y = p.y - cy;
            const float xs = x + slant * y;
            p = {ca * xs - sa * y, sa * xs + ca * y};
        }
    // Scale to the chosen height, but keep wide digits (and the pen) on the pad.
    const cnn::StrokeBox t = cnn::stroke_box(strokes);
    const float scale =
        std::min(height / std::max(1e-3f, t.y1 - t.y0), (0.92f * side - pen) / std::max(1e-3f, t.x1 - t.x0));
    for (auto& s : strokes) {
        for (auto& p : s) p = {p.x * scale, p.y * scale};
        s = cnn::subdivide(s, 2.0f);
        // Pen lifts do not land exactly where the font says: each stroke moves a little.
        const float jx = 0.012f * height * rng.normal(), jy = 0.012f * height * rng.normal();
        for (auto& p : s) {
            const float dx = wobble * std::sin(k1 * p.y + p1), dy = wobble * std::sin(k2 * p.x + p2);
            p = {p.x + dx + jx, p.y + dy + jy};
        }
    }
    // Anywhere on the pad where the whole digit fits.
    const cnn::StrokeBox b = cnn::stroke_box(strokes);
    const float r = pen / 2 + 1;
    auto place = [&](float lo, float hi) {
        const float min_shift = r - lo, max_shift = side - r - hi;
        return min_shift < max_shift ? rng.uniform(min_shift, max_shift) : (min_shift + max_shift) / 2;
    };
    const float ox = place(b.x0, b.x1), oy = place(b.y0, b.y1);
    cnn::GrayImage img{canvas, canvas, std::vector<float>(std::size_t(canvas) * canvas, 0.0f)};
    for (auto& s : strokes) {
        for (auto& p : s) p = {p.x + ox, p.y + oy};
        cnn::draw_stroke(img, s, pen);
    }
    return img;
}

std::vector<cnn::HersheyGlyph> load_hershey_font(const std::string& dir, const std::string& name) {
    const fs::path path = fs::path(dir) / (name + ".jhf");
    if (!file_exists(path.string()))
        throw cnn::Error("Hershey font '" + path.string() +
                         "' not found (install the Debian package hershey-fonts-data, or pass --font-dir)");
    const std::vector<std::uint8_t> bytes = cnn::read_file(path.string());
    return cnn::parse_hershey(std::string(bytes.begin(), bytes.end()), path.string());
}

DigitSet make_hershey_digits(const HersheyStyle& o, int count, std::uint64_t seed) {
    if (o.fonts.empty()) throw cnn::Error("--fonts is empty; name at least one Hershey font");
    for (const auto* range : {&o.height, &o.pen})
        if ((*range)[0] > (*range)[1])
            throw cnn::Error("--height and --pen take MIN MAX (fractions of the pad), MIN first");
    std::vector<std::vector<cnn::HersheyGlyph>> fonts;
    std::vector<std::string> names;           // of `fonts`
    std::map<std::string, std::string> seen;  // digits_key -> font name
    for (const auto& name : o.fonts) {
        auto font = load_hershey_font(o.font_dir, name);
        // Twice the same digits would only weigh that design twice.
        const auto [it, fresh] = seen.emplace(digits_key(font, name), name);
        if (!fresh) {
            warn("font '" + name + "' has the same digits as '" + it->second + "'; using them once");
            continue;
        }
        fonts.push_back(std::move(font));
        names.push_back(name);
    }
    DigitSet set;
    for (int i = 0; i < count; ++i) {
        // One generator per image: image i is the same whatever the count is.
        cnn::Rng rng(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(i));
        const int label = i % 10;
        const std::size_t f = std::size_t(rng.below(fonts.size()));
        const cnn::GrayImage drawing = draw_hershey_glyph(cnn::hershey_digit(fonts[f], label, names[f]), o, rng);
        set.add(cnn::preprocess_digit(drawing), label, set.group_index(names[f]));
    }
    return set;
}

}  // namespace tools
