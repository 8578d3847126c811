#include "cnn/training/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "cnn/base/error.hpp"
#include "cnn/base/float_text.hpp"
#include "cnn/io/crc32.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/metrics.hpp"

namespace cnn {

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void check_model_output(const Model& model, int classes) {
    const Shape out = model.output_shape();
    const std::string want = std::to_string(classes);
    if (out.h != 1 || out.w != 1)
        throw Error("the model's output is " + out.str() + ", but training needs one score per class: a vector of " +
                    want + " for data with " + want + " classes; end the spec with '... | flatten | dense " +
                    want + "'");
    if (out.c != classes)
        throw Error("the model has " + std::to_string(out.c) + " outputs but the data has " + want +
                    " classes; its last layer must give " + want + ", e.g. end the spec with '... | dense " + want +
                    "'");
}

Trainer::Trainer(Model& model, const Dataset& train, const Dataset* validation, TrainOptions options,
                 ThreadPool* pool)
    : model_(model), opt_(std::move(options)), pool_(pool), rng_(opt_.seed) {
    if (opt_.epochs < 1) throw Error("epochs must be at least 1");
    if (opt_.batch_size < 1) throw Error("batch size must be at least 1");
    if (opt_.patience < 0) throw Error("patience must not be negative");
    if (!(opt_.label_smoothing >= 0.0f && opt_.label_smoothing < 1.0f))
        throw Error("label smoothing must be in [0, 1)");
    if (!(opt_.distill_weight >= 0.0f && opt_.distill_weight <= 1.0f))
        throw Error("the distillation weight must be in [0, 1]");
    if (opt_.distill_weight > 0.0f && opt_.teachers.empty())
        throw Error("a distillation weight needs at least one teacher model");
    for (Model* t : opt_.teachers) {
        if (!t || t == &model) throw Error("a teacher must be another model than the one trained");
        if (t->input_shape() != model.input_shape() || t->output_shape() != model.output_shape())
            throw Error("the teacher model '" + t->spec() + "' takes " + t->input_shape().str() + " and gives " +
                        t->output_shape().str() + ", but the model trained takes " + model.input_shape().str() +
                        " and gives " + model.output_shape().str());
        // Fingerprinted once: teachers are read, never changed, and state() runs every checkpoint.
        std::uint32_t crc = 0;
        for (const auto& p : t->params())
            crc = crc32(reinterpret_cast<const std::uint8_t*>(p.value), p.size * sizeof(float), crc);
        teachers_desc_ += (teachers_desc_.empty() ? "" : "; ") + t->spec() + ", CRC-32 " + std::to_string(crc);
    }
    if (opt_.average_from < 0) throw Error("the first averaged epoch must not be negative");
    if (opt_.average_from > opt_.epochs)
        throw Error("weight averaging from epoch " + std::to_string(opt_.average_from) + " needs at least that many "
                    "epochs (the run has " + std::to_string(opt_.epochs) + ")");
    if (opt_.average_from > 0 && opt_.restore_best)
        throw Error("weight averaging ends the run with the mean of its last epochs, not with its best epoch: "
                    "turn restore-best off (--no-restore-best)");
    validate(opt_.lr_schedule);
    if (opt_.augment_enabled) validate(opt_.augment);
    if (train.shape != model.input_shape())
        throw Error("the data has images of " + train.shape.str() + " but the model expects " +
                    model.input_shape().str());
    if (validation && validation->n > 0 && validation->shape != train.shape)
        throw Error("the validation images are " + validation->shape.str() + " but the training images are " +
                    train.shape.str());
    const int classes = std::max(train.classes, validation ? validation->classes : 0);
    check_model_output(model, classes);
    for (const Dataset* d : {&train, validation}) {
        if (!d) continue;
        for (int i = 0; i < d->n; ++i)
            if (d->labels[std::size_t(i)] >= classes)
                throw Error(std::string(d == &train ? "training" : "validation") + " label " +
                            std::to_string(d->labels[std::size_t(i)]) + " of sample " + std::to_string(i) +
                            " is out of range for " + std::to_string(classes) + " classes");
    }
    if (!opt_.checkpoint_path.empty()) check_writable(opt_.checkpoint_path);
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
}

Trainer::~Trainer() = default;

void Trainer::cancel() {
    if (done_) return;
    at_.history.cancelled = true;
    finish();
}

void Trainer::begin_epoch() {
    std::vector<int>& order = at_.order;
    order.resize(std::size_t(train_->n));
    std::iota(order.begin(), order.end(), 0);
    // Fisher-Yates with our own generator: the same order on every platform.
    for (int i = train_->n - 1; i > 0; --i) std::swap(order[i], order[rng_.below(std::uint64_t(i) + 1)]);
    epoch_start_ = now_seconds();
    at_.in_epoch = true;
}

void Trainer::run(int max_batches, const TrainCallbacks& cb) {
    const int batches = chunk_count(train_->n, opt_.batch_size);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng_;
    ctx.pool = pool_;
    for (int done_batches = 0; !done_ && done_batches < max_batches; ++done_batches) {
        if (!at_.in_epoch) begin_epoch();
        const int b0 = at_.batch * opt_.batch_size;
        const int count = std::min(opt_.batch_size, train_->n - b0);
        gather_batch(*train_, at_.order.data() + b0, count, x_, y_);
        if (opt_.augment_enabled) augment_batch(x_, opt_.augment, rng_, pool_, y_.data());
        optimizer_->set_learning_rate(scheduled_learning_rate(
            opt_.lr_schedule, opt_.learning_rate, at_.epoch + (at_.batch + 0.5) / batches, opt_.epochs));
        const float* soft = teacher_targets(count);
        const Tensor& logits = model_.forward(x_, ctx);
        const LossResult lr =
            softmax_cross_entropy(logits, y_.data(), &dlogits_, opt_.label_smoothing, soft, opt_.distill_weight);
        if (!std::isfinite(lr.loss))
            throw Error("training diverged: loss is " + std::to_string(lr.loss) + " at epoch " +
                        std::to_string(at_.epoch + 1) + ", batch " + std::to_string(at_.batch + 1) +
                        " (try a lower learning rate)");
        model_.backward(dlogits_, ctx);
        optimizer_->step(model_.params());
        at_.loss_sum += lr.loss * count;
        at_.correct += lr.correct;
        at_.seen += count;
        ++at_.batch;
        if (cb.on_batch) {
            Progress p;
            p.epoch = at_.epoch + 1;
            p.epochs = opt_.epochs;
            p.batch = at_.batch;
            p.batches = batches;
            p.loss = at_.loss_sum / double(at_.seen);
            p.accuracy = double(at_.correct) / double(at_.seen);
            p.elapsed_seconds = now_seconds() - epoch_start_;
            p.images_per_second = p.elapsed_seconds > 0 ? double(at_.seen) / p.elapsed_seconds : 0.0;
            p.eta_seconds = p.images_per_second > 0 ? double(train_->n - at_.seen) / p.images_per_second : 0.0;
            cb.on_batch(p);
        }
        if (at_.batch == batches) end_epoch(cb);
    }
}

// The teachers' mean probabilities on the batch in x_, or nullptr without distillation. The
// teachers run in inference mode (no dropout, batch norm's running statistics) and use no RNG,
// so the student's trajectory depends only on the seed.
const float* Trainer::teacher_targets(int count) {
    if (opt_.teachers.empty() || opt_.distill_weight <= 0.0f) return nullptr;
    const int k = model_.output_shape().c;
    soft_.assign(std::size_t(count) * std::size_t(k), 0.0f);
    soft_row_.resize(std::size_t(k));
    float* p = soft_row_.data();
    Context ctx;
    ctx.mode = Mode::Infer;
    ctx.pool = pool_;
    const float share = 1.0f / float(opt_.teachers.size());
    for (Model* t : opt_.teachers) {
        const Tensor& z = t->forward(x_, ctx);
        for (int s = 0; s < count; ++s) {
            softmax(z.sample(s), k, p);
            for (int j = 0; j < k; ++j) soft_[std::size_t(s) * std::size_t(k) + std::size_t(j)] += share * p[std::size_t(j)];
        }
    }
    return soft_.data();
}

void Trainer::end_epoch(const TrainCallbacks& cb) {
    // A finite loss can still hide overflowing weights; check them once per epoch (cheap).
    for (const auto& p : model_.params())
        for (std::size_t i = 0; i < p.size; ++i)
            if (!std::isfinite(p.value[i]))
                throw Error("training diverged: " + p.name + " holds a non-finite value after epoch " +
                            std::to_string(at_.epoch + 1) + " (try a lower learning rate)");
    EpochStats st;
    st.epoch = at_.epoch + 1;
    st.loss = at_.loss_sum / double(at_.seen);
    st.accuracy = double(at_.correct) / double(at_.seen);
    st.seconds = now_seconds() - epoch_start_;
    st.images_per_second = st.seconds > 0 ? double(at_.seen) / st.seconds : 0.0;
    at_.in_epoch = false;
    at_.batch = 0;
    at_.order.clear();
    at_.loss_sum = 0;
    at_.correct = at_.seen = 0;
    // Without validation data, early stopping and best-model tracking follow the training loss.
    double monitored = st.loss;
    if (val_) {
        const Evaluation ev = evaluate(model_, *val_, pool_);
        st.val_loss = ev.loss;
        st.val_accuracy = ev.accuracy;
        st.has_validation = true;
        monitored = ev.loss;
    }
    if (monitored < at_.best_val_loss) {
        at_.best_val_loss = monitored;
        at_.wait = 0;
        st.improved = true;
        at_.history.best_epoch = st.epoch;
        if (opt_.restore_best) at_.best_values = model_.get_values();
        if (!opt_.checkpoint_path.empty())
            save_weights(opt_.checkpoint_path, model_, opt_.checkpoint_metadata);
    } else {
        ++at_.wait;
    }
    if (opt_.average_from > 0 && st.epoch >= opt_.average_from) {
        const std::vector<float> now = model_.get_values();
        if (at_.average_values.empty()) at_.average_values.assign(now.size(), 0.0f);
        const double k = double(++at_.averaged);
        for (std::size_t i = 0; i < now.size(); ++i)
            at_.average_values[i] += float((double(now[i]) - double(at_.average_values[i])) / k);
    }
    at_.history.epochs.push_back(st);
    if (cb.on_epoch) cb.on_epoch(st);
    ++at_.epoch;
    if (opt_.patience > 0 && at_.wait >= opt_.patience) {
        at_.history.stopped_early = true;
        finish();
    } else if (at_.epoch >= opt_.epochs) {
        finish();
    }
}

void Trainer::finish() {
    if (done_) return;
    done_ = true;
    if (opt_.restore_best && !at_.best_values.empty()) model_.set_values(at_.best_values);
    if (at_.averaged > 0) {
        model_.set_values(at_.average_values);
        recompute_batchnorm_statistics(model_, *train_, opt_.batch_size,
                                       opt_.augment_enabled ? &opt_.augment : nullptr, rng_, pool_);
        AveragedModel& a = at_.history.averaged;
        a.first_epoch = opt_.average_from;
        a.last_epoch = opt_.average_from + at_.averaged - 1;
        if (val_) {
            const Evaluation ev = evaluate(model_, *val_, pool_);
            a.val_loss = ev.loss;
            a.val_accuracy = ev.accuracy;
            a.has_validation = true;
        }
    }
}

void recompute_batchnorm_statistics(Model& model, const Dataset& data, int batch_size, const AugmentOptions* augment,
                                    Rng& rng, ThreadPool* pool) {
    std::vector<BatchNorm*> norms;
    for (std::size_t i = 0; i < model.layer_count(); ++i)
        if (auto* b = dynamic_cast<BatchNorm*>(&model.layer(i))) norms.push_back(b);
    if (norms.empty() || data.n < 1) return;
    if (batch_size < 1) throw Error("batch size must be at least 1");
    std::vector<float> momenta;
    for (BatchNorm* b : norms) momenta.push_back(b->momentum());
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    ctx.pool = pool;
    Tensor x;
    std::vector<std::uint8_t> y;
    std::vector<int> indices;
    try {
        // momentum = seen / (seen + count): each batch's statistics weigh by its size, so the moving
        // values end as the mean over all samples of the per-batch statistics.
        for (int b0 = 0; b0 < data.n; b0 += batch_size) {
            const int count = std::min(batch_size, data.n - b0);
            indices.resize(std::size_t(count));
            std::iota(indices.begin(), indices.end(), b0);
            gather_batch(data, indices.data(), count, x, y);
            if (augment) augment_batch(x, *augment, rng, pool, y.data());
            for (BatchNorm* b : norms) b->set_momentum(float(double(b0) / double(b0 + count)));
            model.forward(x, ctx);
        }
    } catch (...) {
        for (std::size_t i = 0; i < norms.size(); ++i) norms[i]->set_momentum(momenta[i]);
        throw;
    }
    for (std::size_t i = 0; i < norms.size(); ++i) norms[i]->set_momentum(momenta[i]);
}

namespace {

// "54000 images of 28x28x1, CRC-32 1234567890": identifies a data set without storing it.
std::string describe_data(const Dataset* d) {
    if (!d) return "none";
    // Over the float values, image by image: the same for byte and float storage.
    std::vector<float> image(d->shape.size());
    std::uint32_t crc = 0;
    for (int i = 0; i < d->n; ++i) {
        d->copy_images(i, 1, image.data());
        crc = crc32(reinterpret_cast<const std::uint8_t*>(image.data()), image.size() * sizeof(float), crc);
    }
    crc = crc32(d->labels.data(), d->labels.size(), crc);
    return std::to_string(d->n) + " images of " + d->shape.str() + ", CRC-32 " + std::to_string(crc);
}

// Equal options must compare equal as text.
std::string exact(float v) { return float_text(v); }

}  // namespace

// Everything that shapes the run's trajectory, except the epoch count (a resumed run may be
// given more epochs) and what state() saves anyway.
std::vector<std::pair<std::string, std::string>> Trainer::settings() const {
    if (data_checksums_.empty())
        data_checksums_ = describe_data(train_) + "; validation: " + describe_data(val_);
    std::vector<std::pair<std::string, std::string>> s{
        {"training data", data_checksums_},
        {"batch size", std::to_string(opt_.batch_size)},
        {"seed", std::to_string(opt_.seed)},
        {"optimizer", opt_.optimizer},
        {"learning rate", exact(opt_.learning_rate)},
        {"label smoothing", exact(opt_.label_smoothing)},
        {"patience", std::to_string(opt_.patience)},
        {"restore best", opt_.restore_best ? "yes" : "no"},
        {"model", model_.spec()},
    };
    if (opt_.average_from > 0) s.push_back({"weight averaging", "from epoch " + std::to_string(opt_.average_from)});
    if (opt_.optimizer == "sgd") s.push_back({"momentum", exact(opt_.momentum)});
    s.push_back({"learning-rate schedule", describe(opt_.lr_schedule, opt_.epochs)});
    s.push_back({"augmentation", opt_.augment_enabled ? describe(opt_.augment) : "none"});
    if (opt_.distill_weight > 0.0f) s.push_back({"distillation", exact(opt_.distill_weight) + " from " + teachers_desc_});
    return s;
}

TrainerState Trainer::state() const {
    TrainerState s;
    s.settings = settings();
    s.progress = at_;
    s.progress.history.cancelled = false;
    s.rng = rng_.state();
    s.optimizer = optimizer_->name();
    s.learning_rate = optimizer_->learning_rate();
    s.optimizer_state = optimizer_->state();
    if (at_.in_epoch) s.epoch_seconds = now_seconds() - epoch_start_;
    return s;
}

void check_resumable(const TrainerState& s, const RunFacts& run) {
    const auto bad = [](const std::string& what) {
        throw CheckpointError("checkpoint does not fit this run: " + what);
    };
    for (const auto& kv : run.settings) {
        const auto it = std::find_if(s.settings.begin(), s.settings.end(),
                                     [&](const auto& o) { return o.first == kv.first; });
        if (it == s.settings.end()) bad("it does not record the " + kv.first);
        if (it->second != kv.second)
            bad("it was made with " + kv.first + " " + printable(it->second, 200) + ", this run has " + kv.second);
    }
    if (s.settings.size() != run.settings.size()) bad("it records settings this build does not know");
    const TrainingProgress& p = s.progress;
    const int batches = chunk_count(run.samples, run.batch_size);
    if (p.epoch < 0 || p.history.epochs.size() != std::size_t(p.epoch))
        bad("epoch " + std::to_string(p.epoch) + " with " + std::to_string(p.history.epochs.size()) +
            " epochs of history");
    for (std::size_t i = 0; i < p.history.epochs.size(); ++i)
        if (p.history.epochs[i].epoch != int(i) + 1) bad("its history is out of order");
    if (p.history.best_epoch < 0 || p.history.best_epoch > p.epoch) bad("its best epoch is out of range");
    if (p.in_epoch) {
        if (p.batch < 0 || p.batch >= batches) bad("batch " + std::to_string(p.batch) + " is out of range");
        if (p.order.size() != std::size_t(run.samples)) bad("its sample order has the wrong length");
        std::vector<bool> seen(std::size_t(run.samples), false);
        for (int i : p.order) {
            if (i < 0 || i >= run.samples || seen[std::size_t(i)]) bad("its sample order is not a permutation");
            seen[std::size_t(i)] = true;
        }
        if (p.seen != (long long)(p.batch) * run.batch_size || p.correct < 0 || p.correct > p.seen)
            bad("its running counts do not match batch " + std::to_string(p.batch));
    } else if (p.batch != 0 || !p.order.empty() || p.seen != 0 || p.correct != 0) {
        bad("it is between epochs but holds a position within one");
    }
    if (!std::isfinite(p.loss_sum) || p.loss_sum < 0) bad("its running loss is not a finite number");
    if (std::isnan(p.best_val_loss)) bad("its best loss is not a number");
    if (p.wait < 0 || p.wait > p.epoch) bad("its early-stopping counter is out of range");
    if (!p.best_values.empty() && p.best_values.size() != run.params) bad("its best weights do not match the model");
    if (p.averaged < 0 || p.averaged > p.epoch) bad("its count of averaged epochs is out of range");
    if (p.average_values.size() != (p.averaged > 0 ? run.params : 0))
        bad("its averaged weights do not match the model");
    if (!(s.rng.s[0] | s.rng.s[1] | s.rng.s[2] | s.rng.s[3])) bad("its random generator state is all zero");
    if (s.optimizer != run.optimizer) bad("it was made with optimizer " + printable(s.optimizer, 20));
    if (!(s.learning_rate > 0) || !std::isfinite(s.learning_rate)) bad("its learning rate is not positive");
}

void Trainer::restore(const TrainerState& s) {
    check_resumable(s, RunFacts{settings(), train_->n, opt_.batch_size, model_.param_count(), optimizer_->name()});
    try {
        optimizer_->set_state(s.optimizer_state);
    } catch (const Error& e) {
        throw CheckpointError(std::string("checkpoint does not fit this run: ") + e.what());
    }
    optimizer_->set_learning_rate(float(s.learning_rate));
    rng_.set_state(s.rng);
    at_ = s.progress;
    at_.history.cancelled = false;
    epoch_start_ = now_seconds() - (at_.in_epoch && std::isfinite(s.epoch_seconds) ? s.epoch_seconds : 0.0);
    done_ = false;
    // A state saved at the very end continues to the end at once (restore-best included).
    if (at_.history.stopped_early || at_.epoch >= opt_.epochs) finish();
}

History fit(Model& model, const Dataset& train, const Dataset* validation, const TrainOptions& options,
            ThreadPool* pool, const TrainCallbacks& callbacks) {
    Trainer t(model, train, validation, options, pool);
    while (!t.done()) t.run(std::numeric_limits<int>::max(), callbacks);
    return t.history();
}

}  // namespace cnn
