#include "font_digit_set.hpp"

#include "cnn/base/error.hpp"
#include "cnn/base/rng.hpp"
#include "cnn/image/preprocess.hpp"
#include "font_glyphs.hpp"

namespace tools {

FontDigitSet make_font_digits(const std::vector<std::string>& font_files, int count, std::uint64_t seed) {
    if (font_files.empty()) throw cnn::Error("no font files given for the font digits");
    if (count < 0) throw cnn::Error("font digits: count " + std::to_string(count) + " is negative");
    std::vector<FontGlyphs> fonts;
    for (const auto& file : font_files) {
        fonts.emplace_back(file);
        for (char d = '0'; d <= '9'; ++d)
            if (!fonts.back().has_outline(char32_t(d)))
                throw cnn::Error("font '" + file + "' has no outline for the digit " + std::string(1, d));
    }

    FontDigitSet set;
    set.count = count;
    set.pixels.reserve(std::size_t(count) * 784);
    for (int i = 0; i < count; ++i) {
        // One generator per sample: sample i is the same whatever the count.
        cnn::Rng rng(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(i));
        const int label = i % 10;
        // At random, not round-robin: with as many fonts as digits (or a divisor of ten), a
        // rotation would pair each font with the same few digits.
        const int font = int(rng.below(fonts.size()));
        const GlyphStyle style = random_glyph_style(rng);
        const cnn::Preprocessed p =
            cnn::preprocess_digit(fonts[std::size_t(font)].render(char32_t('0' + label), style));
        if (p.empty || p.size != 28)
            throw cnn::Error("font '" + font_files[std::size_t(font)] + "': the digit " + std::to_string(label) +
                             " rendered without ink");
        set.pixels.insert(set.pixels.end(), p.pixels.begin(), p.pixels.end());
        set.labels.push_back(std::uint8_t(label));
        set.font_index.push_back(font);
    }
    return set;
}

}  // namespace tools
