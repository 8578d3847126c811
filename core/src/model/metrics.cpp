#include "cnn/model/metrics.hpp"

#include <algorithm>

#include "cnn/base/error.hpp"
#include "cnn/model/loss.hpp"

namespace cnn {

double Evaluation::class_accuracy(int c) const {
    int total = 0;
    for (int p = 0; p < classes; ++p) total += count(c, p);
    return total ? double(count(c, c)) / total : 0.0;
}

std::vector<int> Evaluation::misclassified(const std::vector<std::uint8_t>& labels) const {
    std::vector<int> wrong;
    for (int i = 0; i < n; ++i)
        if (predictions[std::size_t(i)] != labels[std::size_t(i)]) wrong.push_back(i);
    return wrong;
}

Evaluation score_logits(std::vector<float> logits, int classes, const std::vector<std::uint8_t>& labels) {
    const int n = int(labels.size());
    if (classes < 1 || logits.size() != std::size_t(n) * std::size_t(classes))
        throw Error("score_logits: " + std::to_string(logits.size()) + " logits for " + std::to_string(n) +
                    " labels of " + std::to_string(classes) + " classes");
    Evaluation ev;
    ev.n = n;
    ev.classes = classes;
    ev.confusion.assign(std::size_t(classes) * std::size_t(classes), 0);
    ev.predictions.resize(std::size_t(n));
    Tensor rows;
    rows.resize(n, Shape{1, 1, classes});
    std::copy(logits.begin(), logits.end(), rows.data());
    const LossResult r = softmax_cross_entropy(rows, labels.data(), nullptr);
    for (int i = 0; i < n; ++i) {
        const int pred = argmax(rows.sample(i), classes);
        ev.predictions[std::size_t(i)] = pred;
        ++ev.confusion[std::size_t(labels[std::size_t(i)]) * std::size_t(classes) + std::size_t(pred)];
    }
    ev.loss = r.loss;
    ev.accuracy = n ? double(r.correct) / n : 0.0;
    ev.logits = std::move(logits);
    return ev;
}

Evaluation evaluate(Model& model, const Dataset& data, ThreadPool* pool, int batch) {
    const int classes = model.classes();
    std::vector<float> logits(std::size_t(data.n) * std::size_t(classes));
    Context ctx;
    ctx.mode = Mode::Infer;
    ctx.pool = pool;
    Tensor x;
    for (int s0 = 0; s0 < data.n; s0 += batch) {
        const int m = std::min(batch, data.n - s0);
        x.resize(m, data.shape);
        data.copy_images(s0, m, x.data());
        const Tensor& out = model.forward(x, ctx);
        std::copy_n(out.data(), std::size_t(m) * std::size_t(classes), logits.begin() + std::ptrdiff_t(s0) * classes);
    }
    return score_logits(std::move(logits), classes, data.labels);
}

}  // namespace cnn
