#include "cnn/model/spec.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "cnn/base/error.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dense.hpp"
#include "cnn/layers/dropout.hpp"
#include "cnn/layers/flatten.hpp"
#include "cnn/layers/global_avg_pool.hpp"
#include "cnn/layers/maxpool2d.hpp"
#include "cnn/layers/relu.hpp"
#include "cnn/layers/residual.hpp"

namespace cnn {

const char* const kSeedSpec =
    "input 28x28x1 | conv 32 k4 same | relu | maxpool 2 | conv 64 k2 same | relu | maxpool 2 | "
    "flatten | dense 128 | relu | dropout 0.5 | dense 10";

const char* const kImprovedSpec =
    "input 28x28x1 | conv 32 k5 same | batchnorm | relu | maxpool 2 | conv 64 k3 same | batchnorm | relu | "
    "maxpool 2 | conv 128 k3 same | batchnorm | relu | maxpool 2 | flatten | dense 128 | batchnorm | relu | "
    "dropout 0.4 | dense 10";

namespace {

using Args = std::vector<std::string>;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

Args split_words(const std::string& s) {
    std::istringstream in(s);
    Args words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// Strict positive integer in [1, max]: digits only, no sign, no overflow.
int parse_int(const std::string& text, int max, const std::string& what) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        throw SpecError(what + " must be a positive integer, got '" + printable(text, 20) + "'");
    // More than 9 digits is out of range for every limit (and would overflow an int).
    const long v = text.size() > 9 ? long(max) + 1 : std::strtol(text.c_str(), nullptr, 10);
    if (v < 1 || v > max)
        throw SpecError(what + " must be between 1 and " + std::to_string(max) + ", got " + printable(text, 20));
    return int(v);
}

// Parses the optional "sS" and "same|valid" words of conv and maxpool from position `from`.
void parse_window_options(const Args& a, std::size_t from, const SpecLimits& lim, int& stride,
                          Padding& padding) {
    for (std::size_t i = from; i < a.size(); ++i) {
        if (a[i] == "same") {
            padding = Padding::Same;
        } else if (a[i] == "valid") {
            padding = Padding::Valid;
        } else if (a[i].size() > 1 && a[i][0] == 's' && std::isdigit(static_cast<unsigned char>(a[i][1]))) {
            stride = parse_int(a[i].substr(1), lim.max_kernel, "stride");
        } else {
            throw SpecError("unexpected word '" + printable(a[i], 20) + "'");
        }
    }
}

struct LayerEntry {
    const char* name;
    const char* usage;
    std::function<LayerPtr(const Args&, const SpecLimits&)> make;
};

// The table of layer kinds: adding a layer means adding a row here.
const std::vector<LayerEntry>& layer_table() {
    static const std::vector<LayerEntry> table = {
        {"conv", "conv FILTERS kSIZE [sSTRIDE] [same|valid]",
         [](const Args& a, const SpecLimits& lim) -> LayerPtr {
             if (a.size() < 3 || a[2].size() < 2 || a[2][0] != 'k')
                 throw SpecError("missing filters or kernel size");
             Conv2DOptions o;
             o.filters = parse_int(a[1], lim.max_dim, "filters");
             o.kernel = parse_int(a[2].substr(1), lim.max_kernel, "kernel size");
             parse_window_options(a, 3, lim, o.stride, o.padding);
             return std::make_unique<Conv2D>(o);
         }},
        {"maxpool", "maxpool SIZE [sSTRIDE] [same|valid]",
         [](const Args& a, const SpecLimits& lim) -> LayerPtr {
             if (a.size() < 2) throw SpecError("missing pool size");
             MaxPoolOptions o;
             o.size = parse_int(a[1], lim.max_kernel, "pool size");
             parse_window_options(a, 2, lim, o.stride, o.padding);
             return std::make_unique<MaxPool2D>(o);
         }},
        {"relu", "relu",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 1) throw SpecError("takes no arguments");
             return std::make_unique<ReLU>();
         }},
        {"flatten", "flatten",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 1) throw SpecError("takes no arguments");
             return std::make_unique<Flatten>();
         }},
        {"dense", "dense UNITS",
         [](const Args& a, const SpecLimits& lim) -> LayerPtr {
             if (a.size() != 2) throw SpecError("needs exactly one number of units");
             return std::make_unique<Dense>(parse_int(a[1], lim.max_dim, "units"));
         }},
        {"dropout", "dropout RATE",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 2) throw SpecError("needs exactly one rate");
             char* end = nullptr;
             const float r = std::strtof(a[1].c_str(), &end);
             if (end == a[1].c_str() || *end != '\0' || !std::isfinite(r))
                 throw SpecError("rate must be a number, got '" + printable(a[1], 20) + "'");
             return std::make_unique<Dropout>(r);
         }},
        {"batchnorm", "batchnorm [MOMENTUM]",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() > 2) throw SpecError("takes at most one momentum");
             if (a.size() == 1) return std::make_unique<BatchNorm>();
             char* end = nullptr;
             const float m = std::strtof(a[1].c_str(), &end);
             if (end == a[1].c_str() || *end != '\0' || !std::isfinite(m))
                 throw SpecError("momentum must be a number, got '" + printable(a[1], 20) + "'");
             return std::make_unique<BatchNorm>(m);
         }},
        {"gap", "gap",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 1) throw SpecError("takes no arguments");
             return std::make_unique<GlobalAvgPool>();
         }},
        {"skip", "skip (then the branch's layers, then add)",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 1) throw SpecError("takes no arguments");
             return std::make_unique<Skip>();
         }},
        {"add", "add (closes the latest open skip)",
         [](const Args& a, const SpecLimits&) -> LayerPtr {
             if (a.size() != 1) throw SpecError("takes no arguments");
             return std::make_unique<Add>();
         }},
    };
    return table;
}

Shape parse_input(const Args& a, const SpecLimits& lim) {
    if (a.size() != 2) throw SpecError("'input' needs one shape like 28x28x1");
    const std::string& t = a[1];
    const auto x1 = t.find('x');
    const auto x2 = x1 == std::string::npos ? x1 : t.find('x', x1 + 1);
    if (x1 == std::string::npos || x2 == std::string::npos)
        throw SpecError("input shape must look like HxWxC, got '" + printable(t, 30) + "'");
    Shape s;
    s.h = parse_int(t.substr(0, x1), lim.max_dim, "input height");
    s.w = parse_int(t.substr(x1 + 1, x2 - x1 - 1), lim.max_dim, "input width");
    s.c = parse_int(t.substr(x2 + 1), lim.max_dim, "input channels");
    return s;
}

}  // namespace

ParsedSpec parse_spec(const std::string& text, const SpecLimits& lim) {
    if (text.size() > lim.max_chars)
        throw SpecError("model spec is " + std::to_string(text.size()) + " characters long; at most " +
                        std::to_string(lim.max_chars) + " are allowed");
    ParsedSpec out;
    std::vector<std::string> items;
    std::size_t start = 0;
    for (;;) {
        const auto bar = text.find('|', start);
        items.push_back(trim(text.substr(start, bar == std::string::npos ? bar : bar - start)));
        if (bar == std::string::npos) break;
        start = bar + 1;
    }
    const std::size_t max_items = std::size_t(lim.max_layers) + 1;
    if (items.size() > max_items)
        throw SpecError("model spec has " + std::to_string(items.size()) + " items; at most " +
                        std::to_string(lim.max_layers) + " layers are allowed");
    Shape shape = out.input;
    LayerCost total;
    // Open skips: (item number, shape at the skip), innermost last.
    std::vector<std::pair<std::size_t, Shape>> open_skips;
    const std::string per_image = " per image (at most " + std::to_string(lim.max_activation) + ")";
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string where = "layer " + std::to_string(i + 1) + " '" + printable(items[i], 60) + "'";
        const Args words = split_words(items[i]);
        if (words.empty()) throw SpecError("empty item at position " + std::to_string(i + 1) + " of the model spec");
        try {
            if (words[0] == "input") {
                if (i != 0) throw SpecError("'input' may only be the first item");
                out.input = shape = parse_input(words, lim);
                if (elements(shape) > lim.max_activation)
                    throw SpecError("input " + shape.str() + " has " + std::to_string(elements(shape)) +
                                    " values" + per_image);
                continue;
            }
            const LayerEntry* entry = nullptr;
            for (const auto& e : layer_table())
                if (words[0] == e.name) entry = &e;
            if (!entry) {
                std::string known;
                for (const auto& e : layer_table()) known += std::string(known.empty() ? "" : ", ") + e.name;
                throw SpecError("unknown layer type '" + printable(words[0], 20) + "' (known: input, " + known + ")");
            }
            try {
                out.layers.push_back(entry->make(words, lim));
            } catch (const SpecError& e) {
                throw SpecError(std::string(e.what()) + "; usage: " + entry->usage);
            }
            const Shape in = shape;
            if (words[0] == "skip") open_skips.emplace_back(i, in);
            if (words[0] == "add") {
                if (open_skips.empty()) throw SpecError("'add' without a 'skip' before it");
                const auto [at, skipped] = open_skips.back();
                open_skips.pop_back();
                if (at + 1 == i) throw SpecError("the branch from the skip at item " + std::to_string(at + 1) + " is empty");
                if (skipped != in)
                    throw SpecError("adds a shortcut of shape " + skipped.str() + " (from the skip at item " +
                                    std::to_string(at + 1) + ") to an input of shape " + in.str() +
                                    "; the branch must keep the shape");
            }
            shape = out.layers.back()->output_shape(in);
            const LayerCost cost = out.layers.back()->cost(in);
            total.params += cost.params;
            total.work += cost.work;
            if (elements(shape) > lim.max_activation)
                throw SpecError("output " + shape.str() + " is too large: " + std::to_string(elements(shape)) +
                                " values" + per_image);
            if (cost.scratch > lim.max_activation)
                throw SpecError("needs a working buffer of " + std::to_string(cost.scratch) + " values" + per_image +
                                "; use a smaller kernel or input, or a stride");
            if (total.params > lim.max_params)
                throw SpecError("the model would have more than " + std::to_string(lim.max_params) + " parameters");
            if (total.work > lim.max_work)
                throw SpecError("the model would need more than " + std::to_string(lim.max_work) +
                                " multiply-adds per image");
        } catch (const SpecError& e) {
            throw SpecError("model spec, " + where + ": " + e.what());
        }
    }
    if (out.layers.empty()) throw SpecError("model spec has no layers");
    if (!open_skips.empty())
        throw SpecError("model spec, layer " + std::to_string(open_skips.back().first + 1) +
                        " 'skip': no 'add' closes it");
    return out;
}

std::string spec_to_string(const Shape& input, const std::vector<LayerPtr>& layers) {
    std::string s = "input " + std::to_string(input.h) + "x" + std::to_string(input.w) + "x" +
                    std::to_string(input.c);
    for (const auto& l : layers) s += " | " + l->spec();
    return s;
}

}  // namespace cnn
