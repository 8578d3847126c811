#include "cnn/layers/layer.hpp"

namespace cnn {

std::size_t Layer::param_count() {
    std::size_t n = 0;
    for (const auto& p : params()) n += p.size;
    return n;
}

void run_tasks(const Context& ctx, int tasks, const std::function<void(int)>& fn) {
    if (ctx.pool) {
        ctx.pool->run(tasks, fn);
    } else {
        for (int t = 0; t < tasks; ++t) fn(t);
    }
}

}  // namespace cnn
