// One string field of a JSON object, without a JSON library: weights metadata is JSON, and the
// core (which also runs in the browser) only ever needs a field or two of it.
#pragma once

#include <optional>
#include <string>

namespace cnn {

// The value of the string field `key` at the top level of the JSON object `json` (fields of
// nested objects do not count), with escapes decoded. Empty text or a missing field gives
// nullopt. Throws Error for text that is not a JSON object, or when the field is not a string.
std::optional<std::string> json_string_field(const std::string& json, const std::string& key);

}  // namespace cnn
