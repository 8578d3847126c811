#include "cnn/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "cnn/error.hpp"
#include "cnn/loss.hpp"
#include "cnn/metrics.hpp"
#include "cnn/weights_io.hpp"

namespace cnn {

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

Trainer::Trainer(Model& model, const Dataset& train, const Dataset* validation, TrainOptions options,
                 ThreadPool* pool)
    : model_(model), opt_(std::move(options)), pool_(pool), rng_(opt_.seed) {
    if (opt_.epochs < 1) throw Error("epochs must be at least 1");
    if (opt_.batch_size < 1) throw Error("batch size must be at least 1");
    if (opt_.patience < 0) throw Error("patience must not be negative");
    if (!(opt_.label_smoothing >= 0.0f && opt_.label_smoothing < 1.0f))
        throw Error("label smoothing must be in [0, 1)");
    if (train.shape != model.input_shape())
        throw Error("the data has images of " + train.shape.str() + " but the model expects " +
                    model.input_shape().str());
    if (validation) {
        train_ = &train;
        val_ = validation->n > 0 ? validation : nullptr;
    } else if (opt_.validation_split > 0.0) {
        auto split = split_validation(train, opt_.validation_split);
        train_split_ = std::move(split.first);
        val_split_ = std::move(split.second);
        train_ = &train_split_;
        val_ = val_split_.n > 0 ? &val_split_ : nullptr;
    } else {
        train_ = &train;
        val_ = nullptr;
    }
    if (train_->n < 1) throw Error("no training samples");
    optimizer_ = make_optimizer(opt_.optimizer, opt_.learning_rate, opt_.momentum);
    order_.resize(train_->n);
    best_val_loss_ = std::numeric_limits<double>::infinity();
}

Trainer::~Trainer() = default;

void Trainer::cancel() {
    if (done_) return;
    history_.cancelled = true;
    finish();
}

void Trainer::begin_epoch() {
    std::iota(order_.begin(), order_.end(), 0);
    // Fisher-Yates with our own generator: the same order on every platform.
    for (int i = train_->n - 1; i > 0; --i) std::swap(order_[i], order_[rng_.below(std::uint64_t(i) + 1)]);
    batch_ = 0;
    loss_sum_ = 0;
    correct_ = seen_ = 0;
    epoch_start_ = now_seconds();
    in_epoch_ = true;
}

void Trainer::run(int max_batches, const TrainCallbacks& cb) {
    const int batches = chunk_count(train_->n, opt_.batch_size);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng_;
    ctx.pool = pool_;
    for (int done_batches = 0; !done_ && done_batches < max_batches; ++done_batches) {
        if (!in_epoch_) begin_epoch();
        const int b0 = batch_ * opt_.batch_size;
        const int count = std::min(opt_.batch_size, train_->n - b0);
        gather_batch(*train_, order_.data() + b0, count, x_, y_);
        const Tensor& logits = model_.forward(x_, ctx);
        const LossResult lr = softmax_cross_entropy(logits, y_.data(), &dlogits_, opt_.label_smoothing);
        if (!std::isfinite(lr.loss))
            throw Error("training diverged: loss is " + std::to_string(lr.loss) + " at epoch " +
                        std::to_string(epoch_ + 1) + ", batch " + std::to_string(batch_ + 1) +
                        " (try a lower learning rate)");
        model_.backward(dlogits_, ctx);
        optimizer_->step(model_.params());
        loss_sum_ += lr.loss * count;
        correct_ += lr.correct;
        seen_ += count;
        ++batch_;
        if (cb.on_batch) {
            Progress p;
            p.epoch = epoch_ + 1;
            p.epochs = opt_.epochs;
            p.batch = batch_;
            p.batches = batches;
            p.loss = loss_sum_ / double(seen_);
            p.accuracy = double(correct_) / double(seen_);
            p.elapsed_seconds = now_seconds() - epoch_start_;
            p.images_per_second = p.elapsed_seconds > 0 ? double(seen_) / p.elapsed_seconds : 0.0;
            p.eta_seconds = p.images_per_second > 0 ? double(train_->n - seen_) / p.images_per_second : 0.0;
            cb.on_batch(p);
        }
        if (batch_ == batches) end_epoch(cb);
    }
}

void Trainer::end_epoch(const TrainCallbacks& cb) {
    in_epoch_ = false;
    // A finite loss can still hide overflowing weights; check them once per epoch (cheap).
    for (const auto& p : model_.params())
        for (std::size_t i = 0; i < p.size; ++i)
            if (!std::isfinite(p.value[i]))
                throw Error("training diverged: " + p.name + " holds a non-finite value after epoch " +
                            std::to_string(epoch_ + 1) + " (try a lower learning rate)");
    EpochStats st;
    st.epoch = epoch_ + 1;
    st.loss = loss_sum_ / double(seen_);
    st.accuracy = double(correct_) / double(seen_);
    st.seconds = now_seconds() - epoch_start_;
    st.images_per_second = st.seconds > 0 ? double(seen_) / st.seconds : 0.0;
    // Without validation data, early stopping and best-model tracking follow the training loss.
    double monitored = st.loss;
    if (val_) {
        const Evaluation ev = evaluate(model_, *val_, pool_);
        st.val_loss = ev.loss;
        st.val_accuracy = ev.accuracy;
        st.has_validation = true;
        monitored = ev.loss;
    }
    if (monitored < best_val_loss_) {
        best_val_loss_ = monitored;
        wait_ = 0;
        st.improved = true;
        history_.best_epoch = st.epoch;
        if (opt_.restore_best) best_values_ = model_.get_values();
        if (!opt_.checkpoint_path.empty())
            save_weights(opt_.checkpoint_path, model_, opt_.checkpoint_metadata);
    } else {
        ++wait_;
    }
    history_.epochs.push_back(st);
    if (cb.on_epoch) cb.on_epoch(st);
    ++epoch_;
    if (opt_.patience > 0 && wait_ >= opt_.patience) {
        history_.stopped_early = true;
        finish();
    } else if (epoch_ >= opt_.epochs) {
        finish();
    }
}

void Trainer::finish() {
    if (done_) return;
    done_ = true;
    if (opt_.restore_best && !best_values_.empty()) model_.set_values(best_values_);
}

History fit(Model& model, const Dataset& train, const Dataset* validation, const TrainOptions& options,
            ThreadPool* pool, const TrainCallbacks& callbacks) {
    Trainer t(model, train, validation, options, pool);
    while (!t.done()) t.run(std::numeric_limits<int>::max(), callbacks);
    return t.history();
}

}  // namespace cnn
