#include "text_format.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace tools {

std::string with_commas(std::size_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string format(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    std::string out;
    if (n > 0) {
        std::vector<char> buf(std::size_t(n) + 1);
        std::vsnprintf(buf.data(), buf.size(), fmt, args);
        out.assign(buf.data(), std::size_t(n));
    }
    va_end(args);
    return out;
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    if (seconds < 10) return format("%.1fs", seconds);
    const long s = std::lround(seconds);
    if (s < 60) return format("%lds", s);
    if (s < 3600) return format("%ldm%02lds", s / 60, s % 60);
    return format("%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

std::string pad_right(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string pad_left(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace tools
