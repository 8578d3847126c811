#include "cnn/base/error.hpp"

#include <cstdio>

namespace cnn {

std::string printable(const std::string& text, std::size_t max_chars) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == max_chars) return out + "...";
        const unsigned char c = static_cast<unsigned char>(text[i]);
        // Bytes >= 0x80 pass: UTF-8 text stays readable, and terminals act on none of them alone.
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += char(c);
        }
    }
    return out;
}

}  // namespace cnn
