#include "cnn/layers/layer.hpp"

#include <algorithm>

#include "cnn/base/error.hpp"

namespace cnn {

std::size_t Layer::param_count() {
    std::size_t n = 0;
    for (const auto& p : params()) n += p.size;
    return n;
}

std::uint64_t elements(const Shape& s) { return std::uint64_t(s.h) * std::uint64_t(s.w) * std::uint64_t(s.c); }

LayerCost Layer::cost(const Shape& input) const { return {0, elements(output_shape(input)), 0}; }

void run_tasks(const Context& ctx, int tasks, const std::function<void(int)>& fn) {
    if (ctx.pool) {
        ctx.pool->run(tasks, fn);
    } else {
        for (int t = 0; t < tasks; ++t) fn(t);
    }
}

void copy_as(const Tensor& from, int n, const Shape& shape, Tensor& to) {
    if (n < 0 || std::size_t(n) * shape.size() != from.size())  // checked first: `to` stays as it was
        throw Error("copy_as: " + std::to_string(from.size()) + " values do not make " + std::to_string(n) + " x " +
                    shape.str());
    to.resize(n, shape);
    std::copy(from.data(), from.data() + from.size(), to.data());
}

}  // namespace cnn
