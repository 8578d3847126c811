// Handwriting-font glyphs rendered with FreeType, slanted, rotated, stretched and made bolder or
// thinner, as ink for cnn::preprocess_digit. It lives in tools/ because core also builds to
// WebAssembly and must not depend on FreeType.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/base/rng.hpp"
#include "cnn/image/preprocess.hpp"

namespace tools {

// The Latin handwriting fonts of the Debian packages that scripts/setup.sh installs, found under
// `root`: sorted by path, only fonts with all ten digits, and each set of digit outlines once.
std::vector<std::string> handwriting_font_files(const std::string& root = "/usr/share/fonts");

// How one glyph is drawn. The outline is stretched, slanted, rotated, then its strokes thickened.
struct GlyphStyle {
    float pixel_height = 120;  // em size in pixels (a digit is about 0.7 of it)
    float slant = 0;           // x += slant * y, y up: positive leans the top to the right
    float rotation_deg = 0;    // anticlockwise as seen on the page
    float aspect = 1;          // x stretch
    float weight = 0;          // stroke width change as a fraction of pixel_height (< 0 thins)
};

// A hand's variety: slant +-0.35, rotation +-12 degrees, stretch 0.8-1.2, 60-160 pixels, stroke
// weight from a thin pen to a marker, drawn from `rng` in that order.
GlyphStyle random_glyph_style(cnn::Rng& rng);

// One font file, open for rendering. Not thread-safe: it renders through one FreeType face.
class FontGlyphs {
public:
    // Throws cnn::Error naming the file if FreeType cannot open it as a scalable font.
    explicit FontGlyphs(const std::string& path);
    ~FontGlyphs();
    FontGlyphs(FontGlyphs&&) noexcept;
    FontGlyphs& operator=(FontGlyphs&&) noexcept;
    FontGlyphs(const FontGlyphs&) = delete;
    FontGlyphs& operator=(const FontGlyphs&) = delete;

    // The file this font came from.
    const std::string& path() const;

    // Whether the font has a glyph with a non-empty outline for `ch`.
    bool has_outline(char32_t ch) const;

    // The glyph as anti-aliased ink (1 = ink) with a few pixels of blank margin. Thinning is
    // reduced when the full amount would break strokes or erase the glyph, and thickening when it
    // would fill in a loop. Throws cnn::Error if the font has no outline for `ch`.
    cnn::GrayImage render(char32_t ch, const GlyphStyle& style) const;

    // The glyph's outline in font units as text: equal keys mean identical glyphs.
    std::string outline_key(char32_t ch) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tools
