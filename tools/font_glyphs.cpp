#include "font_glyphs.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <numeric>
#include <set>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include "cnn/base/error.hpp"
#include "ink_topology.hpp"

namespace fs = std::filesystem;

namespace tools {

namespace {

// File names of the fonts, from the Debian packages in scripts/setup.sh; each was looked at
// preprocessed, all ten digits legible and MNIST-like. Kept: the six Because We Had To hands
// (fonts-bwht), Comic Neue and Dancing Script regular and bold, Kaushan Script, dkg regular and
// bold, Humor Sans, Klee One regular and semibold, Rufscript, Delphine and Steve Hand
// (fonts-sjfonts), Tomson Talks, Yusei Magic. Bold is kept where its strokes differ in shape,
// not only in weight. Left out:
// - Femke Klaver: its digits are hollow outlines, nothing like a pen's stroke.
// - Breip (both files, two versions of one design): its 0 is a U, open at the top.
// - Kristi: its 4 is closed at the top in a narrow pointed loop and reads as a 9 at 28x28.
// - Comic Neue Light and the italics of Comic Neue and dkg: the random weight and slant make
//   those variants already, and each would give its family one more share of the mix; the
//   italics' own lean plus ours (up to 0.35) would be more slant than hands write.
const char* const kHandwritingFonts[] = {
    "BecauseWeBuild-Regular.otf", "BecauseWeConnect-Regular.otf", "BecauseWeCreate-Regular.otf",
    "BecauseWeLearn-Regular.otf", "BecauseWeMentor-Regular.otf",  "BecauseWeOrganize-Regular.otf",
    "ComicNeue-Regular.otf",      "ComicNeue-Bold.otf",           "DancingScript-Regular.otf",
    "DancingScript-Bold.otf",     "KaushanScript-Regular.otf",    "dkg.ttf",
    "dkgBd.ttf",                  "Humor-Sans.ttf",               "KleeOne-Regular.ttf",
    "KleeOne-SemiBold.ttf",       "Rufscript010.ttf",             "Delphine.ttf",
    "SteveHand.ttf",              "TomsonTalks.ttf",              "YuseiMagic-Regular.ttf",
};

constexpr int kMargin = 4;  // blank pixels around the ink, so the preprocessing sees its edges
constexpr float kPi = 3.14159265f;

std::string ft_message(FT_Error err) {
    switch (err) {
        case FT_Err_Cannot_Open_Resource: return "cannot open the file (missing or unreadable)";
        case FT_Err_Unknown_File_Format: return "not a font format FreeType knows";
        case FT_Err_Invalid_File_Format: return "corrupt font file";
        default: return "FreeType error " + std::to_string(int(err));
    }
}

// "'7'" for printable ASCII, "U+2167" otherwise.
std::string char_name(char32_t ch) {
    if (ch >= 0x20 && ch < 0x7f) return std::string("'") + char(ch) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", unsigned(ch));
    return buf;
}

FT_Fixed fixed(float v) { return FT_Fixed(std::lround(double(v) * 65536.0)); }

float total_ink(const cnn::GrayImage& img) {
    return std::accumulate(img.pixels.begin(), img.pixels.end(), 0.0f);
}

}  // namespace

struct FontGlyphs::Impl {
    std::string path;
    FT_Library library = nullptr;
    FT_Face face = nullptr;

    ~Impl() {
        if (face) FT_Done_Face(face);
        if (library) FT_Done_FreeType(library);
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw cnn::Error("font '" + path + "': " + what);
    }

    FT_UInt glyph_index(char32_t ch) const { return FT_Get_Char_Index(face, FT_ULong(ch)); }

    // Loads the outline of `ch` into face->glyph: in font units when pixel_height is 0. Unhinted,
    // because hinting snaps to the pixel grid before our transform and would distort it.
    bool load(char32_t ch, float pixel_height) const {
        const FT_UInt index = glyph_index(ch);
        if (index == 0) return false;
        FT_Int32 flags = FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING;
        if (pixel_height > 0) {
            // At 72 dpi a point is a pixel, and a 26.6 size keeps fractional heights.
            if (FT_Set_Char_Size(face, 0, FT_F26Dot6(std::lround(pixel_height * 64.0)), 72, 72))
                fail("cannot set a size of " + std::to_string(pixel_height) + " pixels");
        } else {
            flags |= FT_LOAD_NO_SCALE;
        }
        if (FT_Load_Glyph(face, index, flags)) return false;
        const FT_Outline& o = face->glyph->outline;
        return face->glyph->format == FT_GLYPH_FORMAT_OUTLINE && o.n_contours > 0 && o.n_points > 0;
    }

    // `ch` transformed by `matrix`, its strokes `strength` pixels wider, rendered anti-aliased.
    cnn::GrayImage draw(char32_t ch, float pixel_height, const FT_Matrix& matrix, float strength) const {
        if (!load(ch, pixel_height)) fail("has no outline for " + char_name(ch));
        FT_GlyphSlot slot = face->glyph;
        FT_Outline_Transform(&slot->outline, &matrix);
        // After the transform, so the pen's weight is added on the page, the same in every
        // direction whatever the slant and stretch.
        if (strength != 0 && FT_Outline_Embolden(&slot->outline, FT_Pos(std::lround(strength * 64.0))))
            fail("cannot change the stroke weight");
        if (FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL)) fail("cannot render a glyph");
        const FT_Bitmap& bm = slot->bitmap;
        const int w = int(bm.width), h = int(bm.rows);
        cnn::GrayImage img{w + 2 * kMargin, h + 2 * kMargin, {}};
        img.pixels.assign(std::size_t(img.width) * img.height, 0.0f);
        // FT_RENDER_MODE_NORMAL gives 8-bit coverage rows, top row first.
        const float scale = 1.0f / float(bm.num_grays > 1 ? bm.num_grays - 1 : 255);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                img.pixels[std::size_t(y + kMargin) * img.width + x + kMargin] =
                    float(bm.buffer[std::ptrdiff_t(y) * bm.pitch + x]) * scale;
        return img;
    }
};

FontGlyphs::FontGlyphs(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    if (FT_Error err = FT_Init_FreeType(&impl_->library)) impl_->fail("FreeType: " + ft_message(err));
    if (FT_Error err = FT_New_Face(impl_->library, path.c_str(), 0, &impl_->face)) {
        impl_->face = nullptr;
        impl_->fail(ft_message(err));
    }
    if (!FT_IS_SCALABLE(impl_->face)) impl_->fail("not a scalable (outline) font");
}

FontGlyphs::~FontGlyphs() = default;
FontGlyphs::FontGlyphs(FontGlyphs&&) noexcept = default;
FontGlyphs& FontGlyphs::operator=(FontGlyphs&&) noexcept = default;

const std::string& FontGlyphs::path() const { return impl_->path; }

bool FontGlyphs::has_outline(char32_t ch) const { return impl_->load(ch, 0); }

cnn::GrayImage FontGlyphs::render(char32_t ch, const GlyphStyle& s) const {
    if (!(s.pixel_height >= 4 && s.pixel_height <= 2000))
        impl_->fail("pixel height " + std::to_string(s.pixel_height) + " is outside 4..2000");
    // Stretch x, then slant (x += slant * y, y up), then rotate.
    const float a = s.rotation_deg * kPi / 180.0f, c = std::cos(a), sn = std::sin(a);
    const FT_Matrix m{fixed(c * s.aspect), fixed(c * s.slant - sn), fixed(sn * s.aspect), fixed(sn * s.slant + c)};
    const cnn::GrayImage plain = impl_->draw(ch, s.pixel_height, m, 0);
    float strength = s.weight * s.pixel_height;
    if (strength == 0) return plain;

    // A weight change may make the strokes only thinner or thicker, never break them, erase them
    // or fill a loop in; FreeType's embolden does all of those when asked for too much (and
    // turns an over-thinned stroke inside out). Halve the change until the glyph survives.
    const int min_area = std::max(2, int(std::lround(0.0004f * s.pixel_height * s.pixel_height)));
    const InkTopology shape = ink_topology(plain, 0.5f, min_area);
    const float ink = total_ink(plain);
    for (int attempt = 0; attempt < 6; ++attempt, strength /= 2) {
        cnn::GrayImage img = impl_->draw(ch, s.pixel_height, m, strength);
        const float changed = total_ink(img);
        const bool direction_ok = strength > 0 ? changed > ink : (changed < ink && changed > 0.25f * ink);
        if (direction_ok && ink_topology(img, 0.5f, min_area) == shape) return img;
    }
    return plain;
}

GlyphStyle random_glyph_style(cnn::Rng& rng) {
    GlyphStyle style;
    style.slant = rng.uniform(-0.35f, 0.35f);
    style.rotation_deg = rng.uniform(-12.0f, 12.0f);
    style.aspect = rng.uniform(0.8f, 1.2f);
    style.pixel_height = rng.uniform(60.0f, 160.0f);
    style.weight = rng.uniform(-0.03f, 0.06f);  // thin pen to marker
    return style;
}

std::vector<std::string> handwriting_font_files(const std::string& root) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string name = it->path().filename().string();
        const auto listed = std::find(std::begin(kHandwritingFonts), std::end(kHandwritingFonts), name);
        if (listed != std::end(kHandwritingFonts)) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());

    std::vector<std::string> usable;
    std::set<std::string> digit_sets;
    for (const auto& path : found) {
        try {
            const FontGlyphs font(path);
            std::string key;
            bool complete = true;
            for (char32_t d = U'0'; d <= U'9' && complete; ++d) {
                complete = font.has_outline(d);
                key += font.outline_key(d) + "#";
            }
            // A variant whose digits are another font's would only weigh that design twice.
            if (complete && digit_sets.insert(key).second) usable.push_back(path);
        } catch (const cnn::Error&) {
            // A damaged font file is not a handwriting font we can use; the others still are.
        }
    }
    return usable;
}

std::string FontGlyphs::outline_key(char32_t ch) const {
    if (!impl_->load(ch, 0)) return "";
    const FT_Outline& o = impl_->face->glyph->outline;
    std::string key;
    for (int i = 0; i < o.n_points; ++i)
        key += std::to_string(o.points[i].x) + "," + std::to_string(o.points[i].y) + "," +
               std::to_string(int(o.tags[i] & 3)) + ";";
    for (int i = 0; i < o.n_contours; ++i) key += std::to_string(o.contours[i]) + "|";
    return key;
}

}  // namespace tools
