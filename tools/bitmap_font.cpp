#include "bitmap_font.hpp"

#include <map>

namespace tools {

namespace {

// Drawn by hand for this project: '#' is ink.
// clang-format off
const std::map<char, const char* const*>& glyphs() {
    static const char* const g0[] = {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."};
    static const char* const g1[] = {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."};
    static const char* const g2[] = {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"};
    static const char* const g3[] = {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."};
    static const char* const g4[] = {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."};
    static const char* const g5[] = {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."};
    static const char* const g6[] = {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."};
    static const char* const g7[] = {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."};
    static const char* const g8[] = {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."};
    static const char* const g9[] = {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."};
    static const char* const space[] = {".....", ".....", ".....", ".....", ".....", ".....", "....."};
    static const char* const colon[] = {".....", "..#..", "..#..", ".....", "..#..", "..#..", "....."};
    static const char* const arrow[] = {".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#..."};
    static const char* const minus[] = {".....", ".....", ".....", "#####", ".....", ".....", "....."};
    static const char* const lparen[] = {"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#."};
    static const char* const rparen[] = {".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..."};
    static const char* const hash[] = {".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#."};
    static const char* const question[] = {".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."};
    static const char* const slash[] = {"....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."};
    static const char* const dot[] = {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."};
    static const std::map<char, const char* const*> table = {
        {'0', g0}, {'1', g1}, {'2', g2}, {'3', g3}, {'4', g4},      {'5', g5},       {'6', g6},
        {'7', g7}, {'8', g8}, {'9', g9}, {' ', space}, {':', colon}, {'>', arrow},   {'-', minus},
        {'(', lparen}, {')', rparen}, {'#', hash}, {'?', question}, {'/', slash}, {'.', dot}};
    return table;
}
// clang-format on

}  // namespace

int text_width(const std::string& text, int scale) {
    if (text.empty()) return 0;
    return int(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_text(RgbImage& img, int x, int y, const std::string& text, int scale, Rgb color) {
    const auto& table = glyphs();
    for (char ch : text) {
        auto it = table.find(ch);
        const char* const* rows = it != table.end() ? it->second : table.at('?');
        for (int gy = 0; gy < kGlyphHeight; ++gy)
            for (int gx = 0; gx < kGlyphWidth; ++gx)
                if (rows[gy][gx] == '#') img.fill_rect(x + gx * scale, y + gy * scale, scale, scale, color);
        x += (kGlyphWidth + 1) * scale;
    }
}

}  // namespace tools
