#include "hershey.hpp"

#include <cctype>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

// Digits of a fixed-width field, surrounding blanks allowed; -1 if it is not a number.
int field_number(const std::string& s) {
    int v = 0;
    bool any = false;
    for (char c : s) {
        if (c == ' ') {
            if (any) break;
            continue;
        }
        if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
        v = v * 10 + (c - '0');
        any = true;
        if (v > 99999999) return -1;
    }
    return any ? v : -1;
}

}  // namespace

std::vector<HersheyGlyph> parse_hershey(const std::string& text, const std::string& what) {
    std::vector<std::string> lines;
    {
        std::string line;
        for (char c : text) {
            if (c == '\n') {
                lines.push_back(line);
                line.clear();
            } else if (c != '\r') {
                line += c;
            }
        }
        if (!line.empty()) lines.push_back(line);
    }
    std::vector<HersheyGlyph> glyphs;
    for (std::size_t li = 0; li < lines.size(); ++li) {
        const std::string& first = lines[li];
        const std::string where = what + " line " + std::to_string(li + 1);
        bool blank = true;
        for (char c : first) blank = blank && std::isspace(static_cast<unsigned char>(c));
        if (blank) continue;
        if (first.size() < 8) throw Error(where + ": too short for a Hershey glyph record");
        HersheyGlyph g;
        g.number = field_number(first.substr(0, 5));
        const int pairs = field_number(first.substr(5, 3));
        if (g.number < 0) throw Error(where + ": glyph number '" + first.substr(0, 5) + "' is not a number");
        if (pairs < 1)
            throw Error(where + ": coordinate count '" + first.substr(5, 3) + "' is not a positive number");
        // The coordinates, joined across continuation lines until all pairs are there.
        std::string data = first.substr(8);
        while (data.size() < std::size_t(2 * pairs) && li + 1 < lines.size()) data += lines[++li];
        if (data.size() < std::size_t(2 * pairs))
            throw Error(where + ": glyph " + std::to_string(g.number) + " declares " + std::to_string(pairs) +
                        " coordinate pairs but the file ends after " + std::to_string(data.size() / 2));
        g.left = data[0] - 'R';
        g.right = data[1] - 'R';
        Stroke current;
        for (int k = 1; k < pairs; ++k) {
            const char cx = data[std::size_t(2 * k)], cy = data[std::size_t(2 * k + 1)];
            if (cx == ' ' && cy == 'R') {  // pen up
                if (!current.empty()) g.strokes.push_back(std::move(current));
                current.clear();
                continue;
            }
            if (cx < ' ' || cx > '~' || cy < ' ' || cy > '~')
                throw Error(where + ": glyph " + std::to_string(g.number) +
                            " has a non-printable coordinate");
            current.push_back({float(cx - 'R'), float(cy - 'R')});
        }
        if (!current.empty()) g.strokes.push_back(std::move(current));
        glyphs.push_back(std::move(g));
    }
    return glyphs;
}

const HersheyGlyph& hershey_char(const std::vector<HersheyGlyph>& font, char c, const std::string& what) {
    if (c < 33 || c > 126) throw Error("hershey_char: character code " + std::to_string(int(c)) + " is not printable ASCII");
    const std::size_t index = std::size_t(c - 32);
    if (font.size() <= index)
        throw Error(what + " has " + std::to_string(font.size()) + " glyphs; an ASCII-ordered Hershey font has one per " +
                    "character from the space on, so '" + std::string(1, c) + "' needs at least " +
                    std::to_string(index + 1));
    if (font[index].strokes.empty()) throw Error(what + ": the glyph for '" + std::string(1, c) + "' has no strokes");
    return font[index];
}

const HersheyGlyph& hershey_digit(const std::vector<HersheyGlyph>& font, int digit, const std::string& what) {
    if (digit < 0 || digit > 9) throw Error("hershey_digit: " + std::to_string(digit) + " is not a digit");
    return hershey_char(font, char('0' + digit), what);
}

}  // namespace cnn
