// Weights metadata is a JSON object (nlohmann-json, header-only, also in the browser build).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cnn {

// The metadata as a JSON object; empty (or blank) text is the empty object. Throws Error for
// text that is not JSON, or JSON that is not an object.
nlohmann::json parse_metadata(const std::string& json);

// The value of the string field `key` at the top level of the metadata (fields of nested objects
// do not count). A missing field gives nullopt. Throws Error as parse_metadata does, or when the
// field is not a string.
std::optional<std::string> json_string_field(const std::string& json, const std::string& key);

}  // namespace cnn
