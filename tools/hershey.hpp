// Hershey vector fonts (.jhf files, as in Debian's hershey-fonts-data): glyphs drawn as pen
// strokes, which makes them a source of digits drawn the way people draw, not printed as outlines.
//
// Format: one record per glyph: columns 0-4 the glyph number, 5-7 the number of coordinate pairs
// (including the first), then that many pairs of characters, each coordinate being its character
// code minus 'R'. The first pair is the glyph's left and right extent; " R" lifts the pen. A record
// longer than a line continues on the next line(s). y grows downwards.
#pragma once

#include <string>
#include <vector>

#include "cnn/image/pen.hpp"

namespace cnn {

struct HersheyGlyph {
    int number = 0;               // as written in the file (often 12345 in .jhf files)
    int left = 0, right = 0;      // horizontal extent, in font units relative to the glyph's origin
    std::vector<Stroke> strokes;  // font units
};

// Parses a whole .jhf text. `what` names the source in error messages (e.g. the file name).
// Throws Error for a malformed record, naming the line.
std::vector<HersheyGlyph> parse_hershey(const std::string& text, const std::string& what);

// In the ASCII-ordered .jhf fonts the glyphs start at the space (32), so character c is glyph
// c - 32. Throws Error if c is not printable ASCII, the font has too few glyphs or the glyph has no
// strokes.
const HersheyGlyph& hershey_char(const std::vector<HersheyGlyph>& font, char c, const std::string& what);

// hershey_char for the digit d ('0' + d); throws Error if d is not 0-9.
const HersheyGlyph& hershey_digit(const std::vector<HersheyGlyph>& font, int digit, const std::string& what);

}  // namespace cnn
