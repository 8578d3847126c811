// Small text formatting helpers for tables and progress output.
#pragma once

#include <cstddef>
#include <string>

namespace tools {

// 411626 -> "411,626" (as Keras prints parameter counts).
std::string with_commas(std::size_t n);
// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// 75.4 -> "1m15s", 3.2 -> "3.2s", 4000 -> "1h06m".
std::string format_duration(double seconds);
// Pads with spaces to `width` characters (counting bytes: callers pass ASCII).
std::string pad_right(const std::string& s, std::size_t width);
std::string pad_left(const std::string& s, std::size_t width);

}  // namespace tools
