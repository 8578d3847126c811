#include "cnn/base/json_field.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "cnn/base/error.hpp"

namespace cnn {

nlohmann::json parse_metadata(const std::string& json) {
    if (std::all_of(json.begin(), json.end(), [](unsigned char c) { return std::isspace(c); }))
        return nlohmann::json::object();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {
        // nlohmann's message names the byte where parsing stopped.
        throw Error("metadata is not valid JSON: " + std::string(e.what()));
    }
    if (!j.is_object()) throw Error("metadata is not a JSON object: expected '{'");
    return j;
}

std::optional<std::string> json_string_field(const std::string& json, const std::string& key) {
    const nlohmann::json j = parse_metadata(json);
    const auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (!it->is_string()) throw Error("metadata field \"" + key + "\" is not a string");
    return it->get<std::string>();
}

}  // namespace cnn
