#include "negative_sets.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/image/redraw.hpp"
#include "cnn/model/reject.hpp"
#include "font_digit_set.hpp"
#include "font_glyphs.hpp"
#include "hershey_set.hpp"

namespace tools {

const std::string kDroppedLetters = "OoIl";

namespace {

constexpr float kPi = 3.14159265f;
constexpr int kSide = 28;

std::string letters() {
    std::string s;
    for (char c = 'A'; c <= 'Z'; ++c)
        if (kDroppedLetters.find(c) == std::string::npos) s += c;
    for (char c = 'a'; c <= 'z'; ++c)
        if (kDroppedLetters.find(c) == std::string::npos) s += c;
    return s;
}

const std::string kSymbols = "+-=?!%&@#";

// Hershey fonts with distinct letters, split between training and held-out (validation and test).
const std::vector<std::string> kHersheyTrain = {"futural", "rowmand", "timesr", "timesib", "scripts", "cursive"};
const std::vector<std::string> kHersheyHeldOut = {"futuram", "rowmant", "timesi", "timesrb", "scriptc", "rowmans"};

// The handwriting fonts: even positions for training, odd ones held out.
std::vector<std::string> font_files_for(const RobustnessSources& s, Half h) {
    const std::vector<std::string> all = handwriting_font_files(s.font_root);
    if (all.size() < 2)
        throw cnn::Error("need at least two handwriting fonts under '" + s.font_root + "' (scripts/setup.sh)");
    std::vector<std::string> out;
    for (std::size_t i = h == Half::train ? 0 : 1; i < all.size(); i += 2) out.push_back(all[i]);
    return out;
}

cnn::Preprocessed as_drawing(const std::vector<cnn::Stroke>& strokes, cnn::Rng& rng) {
    cnn::PadPlacement place;
    place.extent = rng.uniform(0.4f, 0.85f);
    const float margin = place.extent / 2 + 0.05f;
    place.cx = rng.uniform(std::min(margin, 0.5f), std::max(1 - margin, 0.5f));
    place.cy = rng.uniform(std::min(margin, 0.5f), std::max(1 - margin, 0.5f));
    return cnn::preprocess_drawing(cnn::draw_on_pad(strokes, place));
}

// Glyphs of `chars` from Hershey fonts, drawn like the Hershey digits.
DigitSet hershey_glyphs(const RobustnessSources& s, Half h, int count, const std::string& chars, std::uint64_t seed) {
    HersheyStyle style;
    style.font_dir = s.hershey_dir;
    const auto& names = h == Half::train ? kHersheyTrain : kHersheyHeldOut;
    std::vector<std::vector<cnn::HersheyGlyph>> fonts;
    for (const auto& n : names) fonts.push_back(load_hershey_font(s.hershey_dir, n));
    DigitSet set;
    for (int i = 0; i < count; ++i) {
        cnn::Rng rng = sample_rng(seed, h, i);
        const char c = chars[std::size_t(i) % chars.size()];
        const std::size_t f = std::size_t(rng.below(fonts.size()));
        const cnn::GrayImage img = draw_hershey_glyph(cnn::hershey_char(fonts[f], c, names[f]), style, rng);
        set.add(cnn::preprocess_digit(img), cnn::kNotDigitClass, set.group_index(std::string(1, c)));
    }
    return set;
}

// Glyphs of `chars` from the handwriting fonts that have them, rendered like the font digits.
DigitSet font_glyphs(const RobustnessSources& s, Half h, int count, const std::string& chars, std::uint64_t seed) {
    std::vector<FontGlyphs> fonts;
    for (const auto& f : font_files_for(s, h)) fonts.emplace_back(f);
    DigitSet set;
    for (int i = 0; i < count; ++i) {
        cnn::Rng rng = sample_rng(seed, h, i);
        const char c = chars[std::size_t(i) % chars.size()];
        std::vector<std::size_t> having;
        for (std::size_t f = 0; f < fonts.size(); ++f)
            if (fonts[f].has_outline(char32_t(c))) having.push_back(f);
        if (having.empty()) throw cnn::Error("no handwriting font has the character '" + std::string(1, c) + "'");
        const FontGlyphs& font = fonts[having[std::size_t(rng.below(having.size()))]];
        const GlyphStyle style = random_glyph_style(rng);
        const cnn::Preprocessed p = cnn::preprocess_digit(font.render(char32_t(c), style));
        if (p.empty) continue;  // a glyph too small to survive (a '-' thinned away): left out
        set.add(p, cnn::kNotDigitClass, set.group_index(std::string(1, c)));
    }
    return set;
}

// A hand's wobble: each point moved a little, smoothly along the stroke.
void wobble(std::vector<cnn::Stroke>& strokes, cnn::Rng& rng, float amount) {
    for (auto& s : strokes) {
        const float px = rng.uniform(0, 2 * kPi), py = rng.uniform(0, 2 * kPi), f = rng.uniform(2.0f, 6.0f);
        for (std::size_t k = 0; k < s.size(); ++k) {
            const float t = float(k) / float(std::max<std::size_t>(1, s.size() - 1));
            s[k].x += amount * std::sin(f * t + px);
            s[k].y += amount * std::sin(f * t + py);
        }
    }
}

cnn::Stroke arc(float cx, float cy, float rx, float ry, float a0, float a1, int n = 48) {
    cnn::Stroke s;
    for (int k = 0; k <= n; ++k) {
        const float a = a0 + (a1 - a0) * float(k) / float(n);
        s.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return s;
}

std::vector<cnn::Stroke> scribble(cnn::Rng& rng) {
    std::vector<cnn::Stroke> out;
    if (rng.uniform() < 0.35f) {  // a spiral, in or out, 1.5 to 4 turns
        const float turns = rng.uniform(1.5f, 4.0f), dir = rng.uniform() < 0.5f ? -1.0f : 1.0f;
        const float a0 = rng.uniform(0, 2 * kPi), ry = rng.uniform(0.7f, 1.3f);
        cnn::Stroke s;
        for (int k = 0; k <= 200; ++k) {
            const float t = float(k) / 200.0f, a = a0 + dir * t * turns * 2 * kPi, r = 0.05f + t;
            s.push_back({r * std::cos(a), ry * r * std::sin(a)});
        }
        out.push_back(s);
    } else {  // a random pen walk with a turning rate that drifts
        const int strokes = 1 + int(rng.below(3));
        for (int j = 0; j < strokes; ++j) {
            cnn::Stroke s;
            float x = rng.uniform(-0.5f, 0.5f), y = rng.uniform(-0.5f, 0.5f), heading = rng.uniform(0, 2 * kPi);
            float turn = rng.normal() * 0.3f;
            const int n = 40 + int(rng.below(120));
            for (int k = 0; k < n; ++k) {
                s.push_back({x, y});
                turn = 0.9f * turn + 0.12f * rng.normal();
                heading += turn;
                x += 0.04f * std::cos(heading);
                y += 0.04f * std::sin(heading);
                // Keep the walk within a box, as a hand scribbling on a pad does.
                if (std::fabs(x) > 1 || std::fabs(y) > 1) heading += kPi;
            }
            out.push_back(s);
        }
    }
    return out;
}

std::vector<cnn::Stroke> shape(int kind, cnn::Rng& rng) {
    std::vector<cnn::Stroke> out;
    switch (kind) {
        case 0: {  // a circle with a cross (an X or a +) through it
            out.push_back(arc(0, 0, 1, 1, 0, 2 * kPi));
            const float a = rng.uniform() < 0.5f ? kPi / 4 : 0.0f;
            for (float b : {a, a + kPi / 2})
                out.push_back({{-std::cos(b), -std::sin(b)}, {std::cos(b), std::sin(b)}});
            break;
        }
        case 1: {  // a five-pointed star in one stroke
            cnn::Stroke s;
            for (int k = 0; k <= 5; ++k) {
                const float a = -kPi / 2 + float(k * 2 % 5) * 2 * kPi / 5;
                s.push_back({std::cos(a), std::sin(a)});
            }
            out.push_back(s);
            break;
        }
        case 2: {  // a heart
            cnn::Stroke s;
            for (int k = 0; k <= 64; ++k) {
                const float t = 2 * kPi * float(k) / 64;
                const float x = 16 * std::pow(std::sin(t), 3.0f);
                const float y = 13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t);
                s.push_back({x / 16, -y / 16});
            }
            out.push_back(s);
            break;
        }
        case 3: {  // a square (or a rectangle), in one stroke
            const float w = rng.uniform(0.8f, 1.2f);
            out.push_back({{-w, -1}, {w, -1}, {w, 1}, {-w, 1}, {-w, -1}});
            break;
        }
        default: {  // a triangle
            out.push_back({{0, -1}, {0.95f, 0.8f}, {-0.95f, 0.8f}, {0, -1}});
            break;
        }
    }
    for (auto& s : out) s = cnn::subdivide(s, 0.05f);
    const float angle = rng.uniform(-15.0f, 15.0f) * kPi / 180, ca = std::cos(angle), sa = std::sin(angle);
    const float aspect = rng.uniform(0.85f, 1.15f);
    for (auto& s : out)
        for (auto& p : s) p = {ca * p.x * aspect - sa * p.y, sa * p.x * aspect + ca * p.y};
    wobble(out, rng, 0.03f);
    return out;
}

std::vector<cnn::Stroke> mnist_strokes(const cnn::Dataset& d, int k) {
    std::vector<float> img(d.shape.size());
    d.copy_images(k, 1, img.data());
    return cnn::digit_strokes(img.data(), kSide, kSide);
}

// Two MNIST digits side by side at about the same height, as someone writing "42" on the pad.
std::vector<cnn::Stroke> pair_strokes(const cnn::Dataset& d, int i, cnn::Rng& rng) {
    std::vector<cnn::Stroke> out;
    float x = 0;
    for (int part = 0; part < 2; ++part) {
        const int k = (2 * i + part) % d.n;
        std::vector<cnn::Stroke> s = mnist_strokes(d, k);
        const cnn::StrokeBox b = cnn::stroke_box(s);
        if (b.empty()) return {};
        const float scale = rng.uniform(0.85f, 1.15f) / std::max(1.0f, b.y1 - b.y0);
        const float dy = rng.uniform(-0.1f, 0.1f);
        for (auto& st : s) {
            for (auto& p : st) p = {x + (p.x - b.x0) * scale, dy + (p.y - b.y0) * scale};
            out.push_back(st);
        }
        x += (b.x1 - b.x0) * scale + rng.uniform(0.08f, 0.35f);
    }
    return out;
}

// An MNIST digit (not a 1, whose halves are still a 1) cut through its middle, one side kept.
std::vector<cnn::Stroke> half_strokes(const cnn::Dataset& d, int k, cnn::Rng& rng) {
    std::vector<cnn::Stroke> s = mnist_strokes(d, k);
    const cnn::StrokeBox b = cnn::stroke_box(s);
    if (b.empty()) return {};
    const bool vertical_cut = rng.uniform() < 0.5f, keep_low = rng.uniform() < 0.5f;
    const float cut = vertical_cut ? (b.x0 + b.x1) / 2 : (b.y0 + b.y1) / 2;
    std::vector<cnn::Stroke> out;
    for (const auto& st : s) {
        cnn::Stroke piece;
        for (const auto& p : cnn::subdivide(st, 0.5f)) {
            const float v = vertical_cut ? p.x : p.y;
            if ((v < cut) == keep_low) {
                piece.push_back(p);
            } else if (!piece.empty()) {
                out.push_back(piece);
                piece.clear();
            }
        }
        if (!piece.empty()) out.push_back(piece);
    }
    // A half that is one thin bar (the lower half of a 7 or a 4) reads as a 1: not a fair negative.
    const cnn::StrokeBox h = cnn::stroke_box(out);
    if (h.empty() || (h.x1 - h.x0) < 0.3f * (h.y1 - h.y0)) return {};
    return out;
}

// Negatives from MNIST digits: `make` gives strokes for sample i, or none to skip that source.
DigitSet from_mnist_strokes(const RobustnessSources& s, Half h, int count, std::uint64_t seed,
                            const std::function<std::vector<cnn::Stroke>(const cnn::Dataset&, int, cnn::Rng&)>& make,
                            const std::string& group) {
    const cnn::Dataset& d = mnist_source(s, h);
    DigitSet set;
    const int g = set.group_index(group);
    for (int i = 0, tries = 0; set.size() < count; ++i) {
        if (++tries > 4 * count + 100) throw cnn::Error("could not make " + std::to_string(count) + " " + group);
        cnn::Rng rng = sample_rng(seed, h, i);
        const std::vector<cnn::Stroke> strokes = make(d, i, rng);
        if (strokes.empty()) continue;
        const cnn::Preprocessed p = as_drawing(strokes, rng);
        if (!p.empty) set.add(p, cnn::kNotDigitClass, g);
    }
    return set;
}

DigitSet drawn(Half h, int count, std::uint64_t seed, const std::function<std::vector<cnn::Stroke>(int, cnn::Rng&, std::string&)>& make) {
    DigitSet set;
    for (int i = 0; i < count; ++i) {
        cnn::Rng rng = sample_rng(seed, h, i);
        std::string group;
        const cnn::Preprocessed p = as_drawing(make(i, rng, group), rng);
        if (!p.empty) set.add(p, cnn::kNotDigitClass, set.group_index(group));
    }
    return set;
}

}  // namespace

const std::vector<RobustnessSet>& negative_sets() {
    static const std::vector<RobustnessSet> sets = {
        {"letters-hershey", "letters A-Z, a-z (not O o I l) of Hershey fonts drawn on the pad",
         [](const RobustnessSources& s, Half h, int n) { return hershey_glyphs(s, h, n, letters(), 701); }},
        {"letters-fonts", "letters A-Z, a-z (not O o I l) of Debian's handwriting fonts",
         [](const RobustnessSources& s, Half h, int n) { return font_glyphs(s, h, n, letters(), 702); }},
        {"symbols", "+ - = ? ! % & @ #, half from Hershey fonts, half from handwriting fonts",
         [](const RobustnessSources& s, Half h, int n) {
             DigitSet a = hershey_glyphs(s, h, n / 2, kSymbols, 703);
             const DigitSet b = font_glyphs(s, h, n - n / 2, kSymbols, 704);
             for (int i = 0; i < b.size(); ++i) {
                 a.images.insert(a.images.end(), b.images.begin() + std::ptrdiff_t(i) * 784,
                                 b.images.begin() + std::ptrdiff_t(i + 1) * 784);
                 a.labels.push_back(b.labels[std::size_t(i)]);
                 a.group.push_back(a.group_index(b.groups[std::size_t(b.group[std::size_t(i)])]));
             }
             return a;
         }},
        {"scribbles", "random pen scribbles and spirals drawn with the page's pen",
         [](const RobustnessSources&, Half h, int n) {
             return drawn(h, n, 705, [](int, cnn::Rng& rng, std::string& group) {
                 auto s = scribble(rng);
                 group = s.size() == 1 && s[0].size() == 201 ? "spiral" : "scribble";
                 return s;
             });
         }},
        {"shapes", "circle with a cross, star, heart, square, triangle drawn with the page's pen",
         [](const RobustnessSources&, Half h, int n) {
             static const char* names[] = {"circle-cross", "star", "heart", "square", "triangle"};
             return drawn(h, n, 706, [](int i, cnn::Rng& rng, std::string& group) {
                 group = names[i % 5];
                 return shape(i % 5, rng);
             });
         }},
        {"pairs", "two MNIST digits side by side, drawn on the pad",
         [](const RobustnessSources& s, Half h, int n) {
             return from_mnist_strokes(s, h, n, 707, pair_strokes, "pair");
         }},
        {"halves", "an MNIST digit (not a 1) cut through its middle, one half kept",
         [](const RobustnessSources& s, Half h, int n) {
             return from_mnist_strokes(s, h, n, 708, [](const cnn::Dataset& d, int i, cnn::Rng& rng) {
                 const int k = (i * 7 + 3) % d.n;
                 if (d.labels[std::size_t(k)] == 1) return std::vector<cnn::Stroke>{};
                 return half_strokes(d, k, rng);
             }, "half");
         }},
    };
    return sets;
}

const std::vector<RobustnessSet>& contrast_digit_sets() {
    static const std::vector<RobustnessSet> sets = {
        {"hershey-digits", "Hershey digits of the letters' fonts, drawn like them",
         [](const RobustnessSources& s, Half h, int n) {
             HersheyStyle style;
             style.font_dir = s.hershey_dir;
             style.fonts = h == Half::train ? kHersheyTrain : kHersheyHeldOut;
             return make_hershey_digits(style, n, h == Half::train ? 711 : 712);
         }},
        {"font-digits", "digits of the letters' handwriting fonts, rendered like them",
         [](const RobustnessSources& s, Half h, int n) {
             const FontDigitSet f = make_font_digits(font_files_for(s, h), n, h == Half::train ? 713 : 714);
             DigitSet set;
             set.images = f.pixels;
             set.labels = f.labels;
             return set;
         }},
    };
    return sets;
}

cnn::Evaluation evaluate_answers(cnn::Model& model, cnn::Dataset set, bool digits, cnn::ThreadPool* pool) {
    if (!digits)
        set.labels.assign(set.labels.size(), std::uint8_t(model.classes() > cnn::kNotDigitClass ? cnn::kNotDigitClass : 0));
    return cnn::evaluate(model, set, pool);
}

double answered_right(const cnn::Evaluation& ev, const cnn::RejectRule& rule, const std::vector<std::uint8_t>& labels,
                      bool digits, const cnn::Evaluation* gate, const cnn::RejectRule* gate_rule) {
    const int k = ev.classes;
    int right = 0;
    for (int i = 0; i < ev.n; ++i) {
        cnn::Answer a = cnn::decide(ev.logits.data() + std::size_t(i) * std::size_t(k), k, rule);
        if (gate)
            a = cnn::apply_gate(std::move(a), gate->logits.data() + std::size_t(i) * std::size_t(gate->classes),
                                gate->classes, *gate_rule);
        right += digits ? (a.is_digit && a.best == labels[std::size_t(i)]) : !a.is_digit;
    }
    return ev.n ? double(right) / ev.n : 0.0;
}

}  // namespace tools
