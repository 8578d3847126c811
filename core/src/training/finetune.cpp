#include "cnn/training/finetune.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cnn/base/error.hpp"
#include "cnn/base/float_text.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/lr_schedule.hpp"
#include "cnn/training/optimizer.hpp"
#include "cnn/training/trainer.hpp"

namespace cnn {
namespace {

void check_data(const Model& model, const Dataset& d, const char* what) {
    if (d.n == 0) return;
    if (d.shape != model.input_shape())
        throw Error(std::string(what) + " are " + d.shape.str() + " images, the model takes " +
                    model.input_shape().str());
    const int classes = model.classes();
    for (int i = 0; i < d.n; ++i)
        if (d.labels[i] >= classes)
            throw Error(std::string(what) + ": label " + std::to_string(d.labels[i]) + " of sample " +
                        std::to_string(i + 1) + " is not one of the model's " + std::to_string(classes) +
                        " classes");
}

// How many of the examples the model reads right (inference mode).
int count_right(Model& model, const Dataset& d, ThreadPool* pool) {
    const Evaluation ev = evaluate(model, d, pool);
    int right = 0;
    for (int c = 0; c < ev.classes; ++c) right += ev.count(c, c);
    return right;
}

// The values of every non-trainable parameter (running statistics), in params() order.
std::vector<float> saved_statistics(Model& model) {
    std::vector<float> v;
    for (const auto& p : model.params())
        if (!p.trainable) v.insert(v.end(), p.value, p.value + p.size);
    return v;
}

void restore_statistics(Model& model, const std::vector<float>& v) {
    std::size_t at = 0;
    for (const auto& p : model.params())
        if (!p.trainable) {
            std::copy(v.begin() + std::ptrdiff_t(at), v.begin() + std::ptrdiff_t(at + p.size), p.value);
            at += p.size;
        }
}


// The first layer of the classifier head: the one after the last flatten or global average pool.
// Throws Error if there is no such head with parameters to change.
std::size_t head_start(Model& model) {
    std::size_t first = model.layer_count() + 1;
    for (std::size_t i = model.layer_count(); i-- > 0 && first > model.layer_count();) {
        const std::string kind = model.layer(i).kind();
        if (kind == "flatten" || kind == "gap") first = i + 1;
    }
    bool trainable = false;
    for (std::size_t i = first; i < model.layer_count(); ++i)
        for (const auto& p : model.layer(i).params()) trainable = trainable || p.trainable;
    if (!trainable)
        throw Error("this model has no classifier head with parameters (dense layers after a flatten or global "
                    "average pool) to fine-tune alone: fine-tune all of it (head only off)");
    return first;
}

// Zeroes the gradients of every layer before `first` (Adam then leaves them exactly as they are).
void freeze_before(Model& model, std::size_t first) {
    for (std::size_t i = 0; i < first; ++i)
        for (auto& p : model.layer(i).params())
            if (p.trainable) std::fill(p.grad, p.grad + p.size, 0.0f);
}

// Moves every trainable parameter to start + blend * (now - start); `start` holds get_values()
// as it was before fine-tuning (statistics are left as they are now).
void blend_from(Model& model, const std::vector<float>& start, float blend) {
    std::size_t at = 0;
    for (const auto& p : model.params()) {
        if (p.trainable)
            for (std::size_t i = 0; i < p.size; ++i) p.value[i] = start[at + i] + blend * (p.value[i] - start[at + i]);
        at += p.size;
    }
}

void shuffle(std::vector<int>& order, Rng& rng) {
    for (int i = int(order.size()) - 1; i > 0; --i) std::swap(order[i], order[rng.below(std::uint64_t(i) + 1)]);
}

}  // namespace

void validate(const FineTuneOptions& o) {
    if (o.steps < 1 || o.steps > 100000) throw Error("fine-tuning steps must be 1..100000, not " + std::to_string(o.steps));
    if (o.batch_size < 1 || o.batch_size > 4096)
        throw Error("fine-tuning batch size must be 1..4096, not " + std::to_string(o.batch_size));
    if (o.examples_per_batch < 1 || o.examples_per_batch > o.batch_size)
        throw Error("examples per batch must be 1..batch size (" + std::to_string(o.batch_size) + "), not " +
                    std::to_string(o.examples_per_batch));
    if (o.negatives_per_batch < 0 || o.examples_per_batch + o.negatives_per_batch > o.batch_size)
        throw Error("negatives per batch must be 0.." + std::to_string(o.batch_size - o.examples_per_batch) +
                    " (the batch size less the examples per batch), not " + std::to_string(o.negatives_per_batch));
    if (!(o.learning_rate > 0.0f && o.learning_rate <= 1.0f))
        throw Error("fine-tuning learning rate must be in (0, 1], not " + float_text(o.learning_rate));
    if (!(o.replay_distill >= 0.0f && o.replay_distill <= 1.0f))
        throw Error("the replay distillation weight must be in [0, 1], not " + float_text(o.replay_distill));
    if (!(o.blend > 0.0f && o.blend <= 1.0f))
        throw Error("the blend toward the tuned weights must be in (0, 1], not " + float_text(o.blend));
    if (o.augment_enabled) validate(o.augment);
}

FineTuneOptions gate_fine_tune_options(FineTuneOptions reader) {
    reader.negatives_per_batch = kGateNegativesPerBatch;
    reader.blend = 1.0f;
    return reader;
}

std::string describe(const FineTuneOptions& o) {
    return "steps " + std::to_string(o.steps) + ", batch " + std::to_string(o.batch_size) + " (" +
           std::to_string(o.examples_per_batch) + " examples" +
           (o.negatives_per_batch > 0 ? ", " + std::to_string(o.negatives_per_batch) + " negatives" : std::string()) +
           "), lr " + float_text(o.learning_rate) +
           ", augment " + (o.augment_enabled ? describe(o.augment) : std::string("off")) + ", " +
           (o.frozen_statistics ? "normalised with the base statistics"
                                : o.keep_statistics ? "statistics kept" : "statistics updated") +
            (o.head_only ? ", head only" : ", all layers") +
           (o.replay_distill > 0.0f ? ", replay kept to the base's answers (weight " + float_text(o.replay_distill) + ")"
                                    : std::string()) +
           (o.blend < 1.0f ? ", blend " + float_text(o.blend) : std::string()) +
           ", seed " + std::to_string(o.seed);
}

FineTuneResult fine_tune(Model& model, const Dataset& examples, const Dataset& replay,
                         const FineTuneOptions& o, ThreadPool* pool, const FineTuneProgress& progress) {
    return fine_tune(model, examples, replay, Dataset{}, o, pool, progress);
}

FineTuneResult fine_tune(Model& model, const Dataset& examples, const Dataset& replay, const Dataset& negatives,
                         const FineTuneOptions& o, ThreadPool* pool, const FineTuneProgress& progress) {
    validate(o);
    if (examples.n == 0) throw Error("fine-tuning needs at least one example");
    if (o.negatives_per_batch > 0 && negatives.n == 0)
        throw Error("fine-tuning asks for " + std::to_string(o.negatives_per_batch) +
                    " negatives per batch but was given none");
    if (o.negatives_per_batch == 0 && negatives.n > 0)
        throw Error("fine-tuning was given " + std::to_string(negatives.n) +
                    " negatives but asks for none per batch (set negatives per batch)");
    check_data(model, examples, "the examples");
    check_data(model, replay, "the replay digits");
    check_data(model, negatives, "the negatives");
    const double start = now_seconds();
    const std::vector<float> statistics = saved_statistics(model);
    const std::vector<float> start_values = o.blend < 1.0f ? model.get_values() : std::vector<float>{};
    FineTuneResult result;
    const std::size_t head = o.head_only ? head_start(model) : 0;
    result.examples_right_before = count_right(model, examples, pool);

    // The user's share of a batch (all but the negatives' when there is nothing to replay), the
    // negatives' and the replay's.
    const int negs = o.negatives_per_batch;
    const int mine = replay.n > 0 ? o.examples_per_batch : o.batch_size - negs;
    const int theirs = o.batch_size - mine - negs;
    Rng rng(o.seed);
    auto optimizer = make_optimizer("adam", o.learning_rate);
    LrSchedule schedule;
    schedule.decay = LrDecay::Cosine;
    std::vector<int> order(examples.n);
    for (int i = 0; i < examples.n; ++i) order[i] = i;
    int next = examples.n;  // position in `order`; reshuffled when it runs out
    std::vector<int> picks(o.batch_size);
    Tensor x, mine_x, dlogits;
    std::vector<std::uint8_t> y, mine_y;
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    ctx.pool = pool;
    ctx.frozen_statistics = o.frozen_statistics;
    // The base model as it was, for the replayed digits' soft targets.
    const bool distill = o.replay_distill > 0.0f && theirs + negs > 0;
    Model base;
    if (distill) {
        base = Model::from_spec(model.spec());
        base.set_values(model.get_values());
    }
    Context infer;
    infer.pool = pool;
    const int k = model.classes();
    std::vector<float> soft;
    for (int step = 0; step < o.steps; ++step) {
        for (int i = 0; i < mine; ++i) {
            if (next == examples.n) {
                shuffle(order, rng);
                next = 0;
            }
            picks[i] = order[next++];
        }
        gather_batch(examples, picks.data(), mine, mine_x, mine_y);
        if (o.augment_enabled) augment_batch(mine_x, o.augment, rng, pool, mine_y.data());
        for (int i = 0; i < theirs; ++i) picks[i] = int(rng.below(std::uint64_t(replay.n)));
        x.resize(o.batch_size, examples.shape);
        y.resize(o.batch_size);
        std::copy(mine_x.data(), mine_x.data() + mine_x.size(), x.data());
        std::copy(mine_y.begin(), mine_y.end(), y.begin());
        for (int i = 0; i < theirs; ++i) {
            replay.copy_images(picks[i], 1, x.sample(mine + i));
            y[mine + i] = replay.labels[picks[i]];
        }
        for (int i = mine + theirs; i < o.batch_size; ++i) {
            const int pick = int(rng.below(std::uint64_t(negatives.n)));
            negatives.copy_images(pick, 1, x.sample(i));
            y[std::size_t(i)] = negatives.labels[std::size_t(pick)];
        }
        optimizer->set_learning_rate(scheduled_learning_rate(schedule, o.learning_rate, (step + 0.5) / o.steps, 1));
        if (distill) {
            soft.resize(std::size_t(o.batch_size) * std::size_t(k));
            const Tensor& z = base.forward(x, infer);
            for (int i = 0; i < o.batch_size; ++i) {
                float* row = soft.data() + std::size_t(i) * std::size_t(k);
                if (i < mine) {  // the user's own digits: their labels, whatever the base thought
                    std::fill(row, row + k, 0.0f);
                    row[y[std::size_t(i)]] = 1.0f;
                } else {
                    softmax(z.sample(i), k, row);
                }
            }
        }
        const Tensor& logits = model.forward(x, ctx);
        const LossResult loss = softmax_cross_entropy(logits, y.data(), &dlogits, 0.0f, distill ? soft.data() : nullptr,
                                                      distill ? o.replay_distill : 0.0f);
        if (!std::isfinite(loss.loss))
            throw Error("fine-tuning diverged: loss is " + std::to_string(loss.loss) + " at step " +
                        std::to_string(step + 1) + " (try a lower learning rate)");
        model.backward(dlogits, ctx);
        if (o.head_only) freeze_before(model, head);
        optimizer->step(model.params());
        if (step == 0) result.first_loss = loss.loss;
        result.last_loss = loss.loss;
        result.steps = step + 1;
        if (progress && !progress(step + 1, o.steps, loss.loss)) {
            result.cancelled = result.steps < o.steps;
            break;
        }
    }
    if (o.keep_statistics) restore_statistics(model, statistics);
    if (o.blend < 1.0f) blend_from(model, start_values, o.blend);
    result.examples_right_after = count_right(model, examples, pool);
    result.seconds = now_seconds() - start;
    return result;
}

}  // namespace cnn
