#include "cnn/base/json_field.hpp"

#include <cctype>
#include <cstdint>

#include "cnn/base/error.hpp"

namespace cnn {

namespace {

// A strict-enough scanner: it validates structure while skipping values, so that a key inside a
// string or a nested object is never mistaken for a top-level one.
class Scanner {
public:
    explicit Scanner(const std::string& s) : s_(s) {}

    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[i_]; }
    void expect(char c) {
        ws();
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++i_;
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw Error("metadata is not valid JSON: " + what + " at byte " + std::to_string(i_));
    }

    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (at_end()) fail("unterminated string");
            const char c = s_[i_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) fail("unterminated escape");
            const char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': append_utf8(out, hex4()); break;
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    void skip_value(int depth = 0) {
        if (depth > 256) fail("nesting too deep");
        ws();
        const char c = peek();
        if (c == '"') {
            string();
        } else if (c == '{') {
            ++i_;
            ws();
            if (peek() == '}') {
                ++i_;
                return;
            }
            while (true) {
                string();
                expect(':');
                skip_value(depth + 1);
                ws();
                if (peek() == ',') {
                    ++i_;
                    ws();
                    continue;
                }
                expect('}');
                return;
            }
        } else if (c == '[') {
            ++i_;
            ws();
            if (peek() == ']') {
                ++i_;
                return;
            }
            while (true) {
                skip_value(depth + 1);
                ws();
                if (peek() == ',') {
                    ++i_;
                    continue;
                }
                expect(']');
                return;
            }
        } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            while (!at_end() && std::string("+-.eE0123456789").find(s_[i_]) != std::string::npos) ++i_;
        } else {
            for (const char* word : {"true", "false", "null"})
                if (s_.compare(i_, std::char_traits<char>::length(word), word) == 0) {
                    i_ += std::char_traits<char>::length(word);
                    return;
                }
            fail("unexpected character");
        }
    }

private:
    std::uint32_t hex4() {
        if (i_ + 4 > s_.size()) fail("short \\u escape");
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            v <<= 4;
            if (h >= '0' && h <= '9')
                v |= std::uint32_t(h - '0');
            else if (h >= 'a' && h <= 'f')
                v |= std::uint32_t(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                v |= std::uint32_t(h - 'A' + 10);
            else
                fail("bad \\u escape");
        }
        return v;
    }
    // Lone surrogates are kept as their own code units; field values here are plain ASCII words.
    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

}  // namespace

std::optional<std::string> json_string_field(const std::string& json, const std::string& key) {
    Scanner sc(json);
    sc.ws();
    if (sc.at_end()) return std::nullopt;
    std::optional<std::string> found;
    sc.expect('{');
    sc.ws();
    if (sc.peek() == '}') return std::nullopt;
    while (true) {
        const std::string name = sc.string();
        sc.expect(':');
        sc.ws();
        if (name == key) {
            if (sc.peek() != '"') sc.fail("field '" + key + "' is not a string");
            found = sc.string();  // the last duplicate wins, as in most JSON libraries
        } else {
            sc.skip_value();
        }
        sc.ws();
        if (sc.peek() == ',') {
            sc.expect(',');
            sc.ws();
            continue;
        }
        sc.expect('}');
        break;
    }
    sc.ws();
    if (!sc.at_end()) sc.fail("text after the object");
    return found;
}

}  // namespace cnn
