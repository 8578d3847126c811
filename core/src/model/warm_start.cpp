#include "cnn/model/warm_start.hpp"

#include <algorithm>

#include "cnn/base/error.hpp"
#include "cnn/layers/dense.hpp"

namespace cnn {

namespace {

std::string with_commas(std::size_t v) {
    std::string s = std::to_string(v);
    for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(std::size_t(i), ",");
    return s;
}

}  // namespace

std::string warm_start(Model& target, Model& source) {
    const auto refuse = [&](const std::string& why) {
        throw Error("cannot start '" + target.spec() + "' from the weights of '" + source.spec() + "': " + why +
                    " (only the number of units of the last dense layer may differ)");
    };
    if (target.input_shape() != source.input_shape())
        refuse("the inputs differ (" + target.input_shape().str() + " against " + source.input_shape().str() + ")");
    if (target.layer_count() != source.layer_count())
        refuse("they have " + std::to_string(target.layer_count()) + " and " + std::to_string(source.layer_count()) +
               " layers");
    std::size_t last_dense = target.layer_count();
    for (std::size_t i = 0; i < target.layer_count(); ++i)
        if (dynamic_cast<Dense*>(&target.layer(i))) last_dense = i;
    for (std::size_t i = 0; i < target.layer_count(); ++i) {
        const std::string a = target.layer(i).spec(), b = source.layer(i).spec();
        const bool widened = i == last_dense && dynamic_cast<Dense*>(&source.layer(i));
        if (a != b && !widened)
            refuse("layer " + std::to_string(i + 1) + " is '" + a + "' in one and '" + b + "' in the other");
    }
    // Every shape now matches except, perhaps, the last dense layer's outputs.
    std::size_t copied = 0, total = target.param_count();
    std::string fresh;
    for (std::size_t i = 0; i < target.layer_count(); ++i) {
        std::vector<ParamRef> to = target.layer(i).params(), from = source.layer(i).params();
        for (std::size_t k = 0; k < to.size(); ++k) {
            const ParamRef &t = to[k], &s = from[k];
            if (t.shape == s.shape) {
                std::copy(s.value, s.value + s.size, t.value);
                copied += t.size;
                continue;
            }
            // The last dense layer's kernel {in, units} or bias {units}: the shared units.
            const int units_t = t.shape.back(), units_s = s.shape.back(), shared = std::min(units_t, units_s);
            const std::size_t rows = t.size / std::size_t(units_t);
            for (std::size_t r = 0; r < rows; ++r)
                std::copy(s.value + r * std::size_t(units_s), s.value + r * std::size_t(units_s) + std::size_t(shared),
                          t.value + r * std::size_t(units_t));
            copied += rows * std::size_t(shared);
            if (units_t > units_s && fresh.empty())
                fresh = "; outputs " + std::to_string(units_s + 1) + "-" + std::to_string(units_t) + " of " +
                        target.layer(i).name() + " start fresh";
            else if (units_t < units_s && fresh.empty())
                fresh = "; outputs " + std::to_string(units_t + 1) + "-" + std::to_string(units_s) + " of " +
                        source.layer(i).name() + " dropped";
        }
    }
    if (copied == total && fresh.empty()) return "all " + with_commas(total) + " weights";
    return with_commas(copied) + " of " + with_commas(total) + " weights" + fresh;
}

}  // namespace cnn
