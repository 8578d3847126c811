// A tiny 5x7 pixel font (digits and a few symbols), drawn scaled up, for labels in PNG figures.
#pragma once

#include <string>

#include "raster.hpp"

namespace tools {

constexpr int kGlyphWidth = 5, kGlyphHeight = 7;

// Pixel width of `text` drawn at `scale` (one blank column between glyphs).
int text_width(const std::string& text, int scale);

// Draws `text` with its top-left corner at (x, y). Characters without a glyph draw as '?'.
// Supported: 0-9, space, ':', '>', '-', '(', ')', '#', '?', '/', '.'.
void draw_text(RgbImage& img, int x, int y, const std::string& text, int scale, Rgb color);

}  // namespace tools
