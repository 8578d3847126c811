#include "robustness_sets.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/image/redraw.hpp"
#include "cnn/image/stroke_width.hpp"
#include "cnn/image/style_shift.hpp"
#include "font_digit_set.hpp"
#include "font_glyphs.hpp"
#include "hershey_set.hpp"

namespace tools {

namespace {

constexpr int kSide = 28;

const cnn::Dataset& source_of(const RobustnessSources& s, Half h) {
    return mnist_source(s, h);
}

std::vector<float> source_image(const cnn::Dataset& d, int i) {
    std::vector<float> img(d.shape.size());
    d.copy_images(i, 1, img.data());
    return img;
}

// MNIST digits, each changed by `change` (sample rng, image) -> preprocessed digit. Source sample
// (offset + i) mod n, so that sets made from the same file use different digits where they can.
DigitSet from_mnist(const RobustnessSources& s, Half h, int count, int offset, std::uint64_t seed,
                    const std::function<cnn::Preprocessed(cnn::Rng&, const std::vector<float>&)>& change) {
    const cnn::Dataset& d = source_of(s, h);
    DigitSet set;
    for (int i = 0; i < count; ++i) {
        const int k = (offset + i) % d.n;
        cnn::Rng rng = sample_rng(seed, h, i);
        cnn::Preprocessed p = change(rng, source_image(d, k));
        if (p.empty) continue;  // a digit whose skeleton vanished (rare): left out, not faked
        set.add(p, d.labels[std::size_t(k)]);
    }
    return set;
}

cnn::Preprocessed reprocess(std::vector<float> pixels) {
    cnn::GrayImage img{kSide, kSide, std::move(pixels)};
    return cnn::preprocess_digit(img);
}

DigitSet pen_set(const RobustnessSources& s, Half h, int count, int offset, float pen) {
    return from_mnist(s, h, count, offset, 101 + offset, [pen](cnn::Rng&, const std::vector<float>& img) {
        return cnn::redraw_digit(img.data(), kSide, kSide, pen, 280);
    });
}

DigitSet width_set(const RobustnessSources& s, Half h, int count, int offset, float lo, float hi) {
    return from_mnist(s, h, count, offset, 202 + offset, [lo, hi](cnn::Rng& rng, const std::vector<float>& img) {
        std::vector<float> out(img.size());
        cnn::change_stroke_width(img.data(), out.data(), kSide, kSide, rng.uniform(lo, hi));
        return reprocess(out);
    });
}

// Drawn small near a corner of the page's pad with the page's pen (kPagePen), through the
// page's drawing path (preprocess_drawing, which brings the bold strokes back into MNIST's range).
DigitSet corner_set(const RobustnessSources& s, Half h, int count) {
    return from_mnist(s, h, count, 500, 303, [](cnn::Rng& rng, const std::vector<float>& img) {
        cnn::PadPlacement place;
        place.extent = rng.uniform(0.25f, 0.35f);
        place.pen = cnn::kPagePen;
        const int corner = int(rng.below(4));
        const float margin = 0.04f + place.extent / 2 + rng.uniform(0.0f, 0.05f);
        place.cx = corner % 2 ? 1 - margin : margin;
        place.cy = corner / 2 ? 1 - margin : margin;
        return cnn::preprocess_drawing(cnn::draw_on_pad(cnn::digit_strokes(img.data(), kSide, kSide), place));
    });
}

DigitSet conventions_set(const RobustnessSources& s, Half h, int count) {
    const cnn::Dataset& d = source_of(s, h);
    DigitSet set;
    const auto& all = cnn::all_conventions();
    std::vector<int> next(all.size(), 0);  // next source sample to look at, per convention
    for (int i = 0; i < count; ++i) {
        const std::size_t ci = std::size_t(i) % all.size();
        const cnn::Convention c = all[ci];
        const int digit = cnn::convention_digit(c);
        cnn::Rng rng = sample_rng(404, h, i);
        std::vector<cnn::Stroke> strokes;
        if (cnn::convention_is_edit(c)) {
            while (strokes.empty()) {  // the next real digit of that class with a skeleton
                if (next[ci] >= d.n) throw cnn::Error("not enough MNIST digits " + std::to_string(digit));
                const int k = next[ci]++;
                if (d.labels[std::size_t(k)] != digit) continue;
                strokes = cnn::digit_strokes(source_image(d, k).data(), kSide, kSide);
            }
            strokes = cnn::add_convention_mark(strokes, c, rng);
        } else {
            strokes = cnn::convention_template(c, rng);
        }
        cnn::PadPlacement place;  // as drawn on the page: its pen, a comfortable size
        place.extent = rng.uniform(0.5f, 0.85f);
        set.add(cnn::draw_digit(strokes, place), digit, set.group_index(cnn::convention_name(c)));
    }
    return set;
}

DigitSet font_set(const RobustnessSources& s, Half h, int count) {
    const std::vector<std::string> files = handwriting_font_files(s.font_root);
    if (files.empty())
        throw cnn::Error("no handwriting fonts under '" + s.font_root +
                         "' (install them with scripts/setup.sh: fonts-bwht, fonts-dkg-handwriting, ...)");
    const FontDigitSet fonts = make_font_digits(files, count, h == Half::validation ? 21 : 22);
    DigitSet set;
    set.images = fonts.pixels;
    set.labels = fonts.labels;
    for (const auto& f : files) set.groups.push_back(std::filesystem::path(f).stem().string());
    set.group = fonts.font_index;
    return set;
}

}  // namespace

std::string half_name(Half h) {
    return h == Half::validation ? "val" : h == Half::test ? "test" : "train";
}

const cnn::Dataset& mnist_source(const RobustnessSources& s, Half h) {
    const cnn::Dataset& d = h == Half::validation ? s.mnist_validation : h == Half::test ? s.mnist_test : s.mnist_train;
    if (d.n == 0)
        throw cnn::Error("the MNIST " + std::string(h == Half::test ? "test" : "training") +
                         " file is needed for this set (scripts/get-mnist.sh)");
    if (d.shape != cnn::Shape{kSide, kSide, 1}) throw cnn::Error("MNIST images must be 28x28x1");
    return d;
}

cnn::Rng sample_rng(std::uint64_t set_seed, Half h, int i) {
    const std::uint64_t half = h == Half::validation ? 0 : h == Half::test ? 0x51ED270B2A6F1D3Bull : 0x2545F4914F6CDD1Dull;
    return cnn::Rng(set_seed * 0x9E3779B97F4A7C15ull + half + std::uint64_t(i));
}

const std::vector<RobustnessSet>& robustness_sets() {
    static const std::vector<RobustnessSet> sets = {
        {"hershey", "Hershey stroke-font digits drawn on the page's pad (6 designs, varied pen, slant, size)",
         [](const RobustnessSources& s, Half h, int n) {
             HersheyStyle style;
             style.font_dir = s.hershey_dir;
             return make_hershey_digits(style, n, h == Half::validation ? 11 : 12);
         }},
        {"fonts", "digits of Debian's handwriting fonts, varied slant, rotation, size and stroke weight",
         [](const RobustnessSources& s, Half h, int n) {
             return font_set(s, h, n);
         }},
        {"pen-thin", "MNIST digits redrawn from their skeletons with a thin pen (0.07 of the digit's size)",
         [](const RobustnessSources& s, Half h, int n) { return pen_set(s, h, n, 0, 0.07f); }},
        {"pen-medium", "MNIST digits redrawn from their skeletons with a medium pen (0.11)",
         [](const RobustnessSources& s, Half h, int n) { return pen_set(s, h, n, 2000, 0.11f); }},
        {"pen-thick", "MNIST digits redrawn from their skeletons with a thick pen (0.16)",
         [](const RobustnessSources& s, Half h, int n) { return pen_set(s, h, n, 4000, 0.16f); }},
        {"thin", "MNIST digits with thinned strokes (erosion 0.6-1 steps)",
         [](const RobustnessSources& s, Half h, int n) { return width_set(s, h, n, 1000, -1.0f, -0.6f); }},
        {"thick", "MNIST digits with thickened strokes (dilation 0.8-1.5 steps)",
         [](const RobustnessSources& s, Half h, int n) { return width_set(s, h, n, 3000, 0.8f, 1.5f); }},
        {"slant", "MNIST digits slanted by 25 degrees, left or right",
         [](const RobustnessSources& s, Half h, int n) {
             return from_mnist(s, h, n, 5000, 505, [](cnn::Rng& rng, const std::vector<float>& img) {
                 const float shear = std::tan(25.0f * 3.14159265f / 180.0f) * (rng.uniform() < 0.5f ? -1.0f : 1.0f);
                 return cnn::slant_digit(img.data(), kSide, kSide, shear);
             });
         }},
        {"corner", "MNIST digits drawn small (25-35% of the pad) in a corner with the page's pen, page's path",
         [](const RobustnessSources& s, Half h, int n) { return corner_set(s, h, n); }},
        {"stray", "MNIST digits with a stray dot or short stroke next to them",
         [](const RobustnessSources& s, Half h, int n) {
             return from_mnist(s, h, n, 1500, 606, [](cnn::Rng& rng, const std::vector<float>& img) {
                 return cnn::add_stray_mark(img.data(), kSide, kSide, rng);
             });
         }},
        {"conventions", "slashed 0, continental 1, crossed 7 (MNIST edits); open 4, straight 9, looped 2 (templates)",
         [](const RobustnessSources& s, Half h, int n) { return conventions_set(s, h, n); }},
    };
    return sets;
}

}  // namespace tools
