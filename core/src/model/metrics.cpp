#include "cnn/model/metrics.hpp"

#include <algorithm>

#include "cnn/model/loss.hpp"

namespace cnn {

double Evaluation::class_accuracy(int c) const {
    int total = 0;
    for (int p = 0; p < classes; ++p) total += count(c, p);
    return total ? double(count(c, c)) / total : 0.0;
}

Evaluation evaluate(Model& model, const Dataset& data, ThreadPool* pool, int batch) {
    Evaluation ev;
    ev.n = data.n;
    ev.classes = model.classes();
    ev.confusion.assign(std::size_t(ev.classes) * ev.classes, 0);
    ev.predictions.resize(data.n);
    ev.logits.resize(std::size_t(data.n) * ev.classes);
    Context ctx;
    ctx.mode = Mode::Infer;
    ctx.pool = pool;
    Tensor x;
    double loss_sum = 0;
    int correct = 0;
    for (int s0 = 0; s0 < data.n; s0 += batch) {
        const int m = std::min(batch, data.n - s0);
        x.resize(m, data.shape);
        data.copy_images(s0, m, x.data());
        const Tensor& logits = model.forward(x, ctx);
        const LossResult r = softmax_cross_entropy(logits, data.labels.data() + s0, nullptr);
        loss_sum += r.loss * m;
        correct += r.correct;
        for (int i = 0; i < m; ++i) {
            const int pred = argmax(logits.sample(i), ev.classes);
            ev.predictions[s0 + i] = pred;
            std::copy_n(logits.sample(i), ev.classes, ev.logits.begin() + std::ptrdiff_t(s0 + i) * ev.classes);
            ++ev.confusion[std::size_t(data.labels[s0 + i]) * ev.classes + pred];
        }
    }
    ev.loss = data.n ? loss_sum / data.n : 0.0;
    ev.accuracy = data.n ? double(correct) / data.n : 0.0;
    return ev;
}

}  // namespace cnn
