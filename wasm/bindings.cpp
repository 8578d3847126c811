// Embind layer: exported names and small adapters that marshal arguments, call core and turn
// core's exceptions into JavaScript Errors carrying the same message. Arrays cross as copies.
// No logic lives here: preprocessing, training and evaluation are core's.
#include <cxxabi.h>
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/error.hpp"
#include "cnn/base/parallel.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/image/photo.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/model_file.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/model.hpp"
#include "cnn/model/reject.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/finetune.hpp"
#include "cnn/training/trainer.hpp"

using emscripten::val;

namespace {

// The page draws 28x28 grey digits and shows ten bars; other models cannot serve it.
const cnn::Shape kPageInput{28, 28, 1};
constexpr int kPageClasses = 10;

[[noreturn]] void throw_js(const std::string& message) {
    val::global("Error").new_(message).throw_();
}

// The message of the exception being handled, read from the thrown object itself. Needed because
// Emscripten 3.1.6's threaded build (pthreads + wasm exceptions) never matches a typed catch
// clause, only catch (...) (checked with a ten-line program; the single-threaded build is fine).
// Core's own typed catches, which add context to a message (e.g. the layer of a spec error), do
// not match there either: the inner message arrives without that context.
// Everything thrown here comes from core or the standard library and derives from std::exception
// by single inheritance, so the thrown object's address is that of its std::exception.
std::string current_exception_message() {
    void* thrown = abi::__cxa_current_primary_exception();
    std::string message = thrown ? static_cast<const std::exception*>(thrown)->what() : "unknown error";
    abi::__cxa_decrement_exception_refcount(thrown);
    return message;
}

// Runs f; a C++ exception becomes a JS Error. The message is copied out of the catch block first
// so that the C++ exception is finished before the JS one unwinds through wasm frames.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    std::string message;
    try {
        return f();
    } catch (const std::exception& e) {
        message = e.what();
    } catch (...) {  // the threaded build lands here (see current_exception_message)
        message = current_exception_message();
    }
    throw_js(message);
}

template <class T>
val to_js(const T* data, std::size_t n) {
    return val(emscripten::typed_memory_view(n, data)).call<val>("slice");
}
template <class T>
val to_js(const std::vector<T>& v) {
    return to_js(v.data(), v.size());
}
template <class T>
std::vector<T> from_js(const val& array) {
    return emscripten::convertJSArrayToNumberVector<T>(array);
}

val shape_js(const cnn::Shape& s) {
    val o = val::object();
    o.set("h", s.h);
    o.set("w", s.w);
    o.set("c", s.c);
    return o;
}

val preprocessed_js(const cnn::Preprocessed& p) {
    val o = val::object();
    o.set("empty", p.empty);
    o.set("size", p.size);
    o.set("pixels", to_js(p.pixels));
    return o;
}

// Options object field with a default when absent.
template <class T>
T option(const val& options, const char* name, T fallback) {
    const val v = options[name];
    return v.isUndefined() || v.isNull() ? fallback : v.as<T>();
}

val progress_js(const cnn::Progress& p) {
    val o = val::object();
    o.set("epoch", p.epoch);
    o.set("epochs", p.epochs);
    o.set("batch", p.batch);
    o.set("batches", p.batches);
    o.set("loss", p.loss);
    o.set("accuracy", p.accuracy);
    o.set("imagesPerSecond", p.images_per_second);
    o.set("elapsedSeconds", p.elapsed_seconds);
    o.set("etaSeconds", p.eta_seconds);
    return o;
}

val epoch_js(const cnn::EpochStats& s) {
    val o = val::object();
    o.set("epoch", s.epoch);
    o.set("loss", s.loss);
    o.set("accuracy", s.accuracy);
    o.set("hasValidation", s.has_validation);
    o.set("valLoss", s.val_loss);
    o.set("valAccuracy", s.val_accuracy);
    o.set("seconds", s.seconds);
    o.set("imagesPerSecond", s.images_per_second);
    o.set("improved", s.improved);
    return o;
}

// A model plus, for training, the MNIST data and a resumable trainer.
class Session {
public:
    Session() : model_(cnn::Model::from_spec(cnn::kSeedSpec, 1)) {}

    // --- the model -------------------------------------------------------------------------

    // Replaces the model only if the file (weights or ONNX) decodes and fits the page; otherwise
    // throws the core's message and keeps the current model.
    void loadWeights(const val& bytes) {
        guarded([&] {
            const auto data = from_js<std::uint8_t>(bytes);
            std::string metadata;
            cnn::Model m = cnn::decode_model_file(data.data(), data.size(), &metadata);
            if (m.input_shape() != kPageInput || (m.classes() != kPageClasses && m.classes() != kPageClasses + 1))
                throw cnn::WeightsError("incompatible model: it takes " + m.input_shape().str() +
                                        " input and has " + std::to_string(m.classes()) +
                                        " outputs, but digits need " + kPageInput.str() + " input and " +
                                        std::to_string(kPageClasses) + " outputs (or " +
                                        std::to_string(kPageClasses + 1) + " with \"not a digit\")");
            const cnn::InputPreprocessing input = cnn::input_preprocessing_from_metadata(metadata);
            cnn::reject_rule_from_metadata(metadata);  // a bad rule is refused now, not at every drawing
            stopTraining();
            model_ = std::move(m);
            metadata_ = std::move(metadata);
            input_ = input;
        });
    }

    val saveWeights() {
        return guarded([&] { return to_js(cnn::encode_weights(model_, metadata_)); });
    }

    val exportOnnx() {
        return guarded([&] { return to_js(cnn::encode_onnx(model_, metadata_)); });
    }

    // A fresh model from a spec, initialised from seed (Keras defaults).
    void initModel(const std::string& spec, double seed) {
        guarded([&] {
            cnn::Model m = cnn::Model::from_spec(spec, std::uint64_t(seed));
            stopTraining();
            model_ = std::move(m);
            metadata_ = "{}";
            input_ = cnn::InputPreprocessing::mnist;
        });
    }

    std::string spec() const { return model_.spec(); }
    std::string metadata() const { return metadata_; }
    // Replaces the metadata stored with the weights; its "preprocessing" field then applies.
    void setMetadata(const std::string& json) {
        guarded([&] {
            input_ = cnn::input_preprocessing_from_metadata(json);
            metadata_ = json;
        });
    }
    // The input preprocessing the model was trained with: "mnist" or "mnist+deskew".
    std::string inputPreprocessing() const { return cnn::input_preprocessing_name(input_); }
    double paramCount() { return double(model_.param_count()); }
    val inputShape() const { return shape_js(model_.input_shape()); }
    int classes() const { return model_.classes(); }

    val summary() {
        val rows = val::array();
        for (const auto& s : model_.summary()) {
            val r = val::object();
            r.set("name", s.name);
            r.set("spec", s.spec);
            r.set("output", shape_js(s.output));
            r.set("params", double(s.params));
            rows.call<void>("push", r);
        }
        return rows;
    }

    // Threads for inference, training and evaluation (1 = this thread only). Threads exist only
    // in the pthreads build (digit_cnn_mt); elsewhere this stays 1. Returns the count in use.
    int setThreads(int n) {
        return guarded([&] {
            if (training()) throw cnn::Error("cannot change threads while training");
#ifdef __EMSCRIPTEN_PTHREADS__
            n = std::max(1, n);
#else
            n = 1;
#endif
            run_.reset();
            pool_ = n > 1 ? std::make_unique<cnn::ThreadPool>(n) : nullptr;
            return n;
        });
    }
    int threads() const { return pool_ ? pool_->threads() : 1; }

    // --- drawn digits and inference --------------------------------------------------------

    // Canvas RGBA (dark on light or transparent) -> {empty, size, pixels: Float32Array}, with the
    // pen width brought into MNIST's range (drawing.hpp).
    val preprocessRgba(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            return digit_js(cnn::preprocess_drawing(cnn::ink_from_rgba(bytes.data(), width, height)));
        });
    }

    // Ink in [0, 1] (1 = ink), width * height floats -> {empty, size, pixels}.
    val preprocessInk(const val& ink, int width, int height) {
        return guarded([&] {
            cnn::GrayImage g{width, height, from_js<float>(ink)};
            return digit_js(cnn::preprocess_digit(g));
        });
    }

    // A photo or scan (RGBA) -> {empty, size, pixels, darkOnLight, componentsKept,
    // componentsDropped}: core's photo cleaning, then the same steps as a drawing.
    val preprocessPhoto(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            const cnn::PhotoInk ink =
                cnn::ink_from_photo(cnn::luminance_from_rgba(bytes.data(), width, height));
            cnn::Preprocessed p;
            p.pixels.assign(std::size_t(p.size) * p.size, 0.0f);
            if (!ink.empty) p = cnn::preprocess_digit(ink.ink);
            val o = digit_js(std::move(p));
            o.set("darkOnLight", ink.dark_on_light);
            o.set("componentsKept", ink.components_kept);
            o.set("componentsDropped", ink.components_dropped);
            return o;
        });
    }

    // n images already in MNIST form (e.g. from an IDX file) -> the same n images after the
    // model's input preprocessing (a copy; unchanged for "mnist").
    val prepareImages(const val& pixels, int n) {
        return guarded([&] {
            auto x = from_js<float>(pixels);
            const cnn::Shape& in = model_.input_shape();
            if (n < 1 || x.size() != std::size_t(n) * in.size())
                throw cnn::Error("prepareImages: expected " + std::to_string(n) + " images of " +
                                 in.str() + " floats, got " + std::to_string(x.size()) + " floats");
            for (int i = 0; i < n; ++i)
                cnn::apply_input_preprocessing(input_, x.data() + std::size_t(i) * in.size(), in.w,
                                               in.h);
            return to_js(x);
        });
    }

    // One input image (input-size floats) -> Float32Array of class probabilities.
    val predict(const val& pixels) { return predictBatch(pixels, 1); }

    // n images -> n * classes probabilities.
    val predictBatch(const val& pixels, int n) {
        return guarded([&] {
            const auto x = from_js<float>(pixels);
            if (n < 1 || x.size() != std::size_t(n) * model_.input_shape().size())
                throw cnn::Error("predict: expected " + std::to_string(n) + " images of " +
                                 model_.input_shape().str() + " floats, got " +
                                 std::to_string(x.size()) + " floats");
            std::vector<float> probs(std::size_t(n) * model_.classes());
            model_.predict(x.data(), n, probs.data(), pool_.get());
            return to_js(probs);
        });
    }

    // One image's probabilities -> the decision under the rule in the metadata: {isDigit, best,
    // second, bestP, secondP, notDigitP, digitProbs (the ten digits' if it is a digit)}.
    val decide(const val& probs) const {
        return guarded([&] {
            const auto p = from_js<float>(probs);
            if (int(p.size()) != model_.classes())
                throw cnn::Error("decide: expected " + std::to_string(model_.classes()) + " probabilities");
            const cnn::Answer a = cnn::decide_probabilities(p.data(), int(p.size()), cnn::reject_rule_from_metadata(metadata_));
            val o = val::object();
            o.set("isDigit", a.is_digit);
            o.set("best", a.best);
            o.set("second", a.second);
            o.set("bestP", a.best_p);
            o.set("secondP", a.second_p);
            o.set("notDigitP", a.not_digit_p);
            o.set("digitProbs", to_js(a.digit_probabilities));
            return o;
        });
    }

    // Output of layer i for the first image of the last forward pass: {h, w, c, data} (NHWC).
    val activation(int layer) const {
        return guarded([&] {
            if (layer < 0 || std::size_t(layer) >= model_.layer_count())
                throw cnn::Error("no layer " + std::to_string(layer));
            const cnn::Tensor& t = model_.activation(std::size_t(layer));
            if (t.n() < 1) throw cnn::Error("activation: nothing has been predicted yet");
            val o = shape_js(t.shape());
            o.set("data", to_js(t.sample(0), t.sample_size()));
            return o;
        });
    }

    // Parameters of layer i: [{name, shape, data}], e.g. conv kernels {kh, kw, in, out}.
    val layerParams(int layer) {
        return guarded([&] {
            if (layer < 0 || std::size_t(layer) >= model_.layer_count())
                throw cnn::Error("no layer " + std::to_string(layer));
            val list = val::array();
            for (const auto& p : model_.layer(std::size_t(layer)).params()) {
                val o = val::object();
                o.set("name", p.name);
                o.set("shape", to_js(p.shape));
                o.set("data", to_js(p.value, p.size));
                list.call<void>("push", o);
            }
            return list;
        });
    }

    // --- data and training -----------------------------------------------------------------

    // Uncompressed IDX bytes of the MNIST training and test sets (the page gunzips first). The
    // images stay bytes (a quarter of the memory of floats; wasm memory never shrinks).
    val setData(const val& trainImages, const val& trainLabels, const val& testImages,
                const val& testLabels) {
        return guarded([&] {
            Data d;
            d.train = labelled(trainImages, trainLabels, "training");
            d.test = labelled(testImages, testLabels, "test");
            stopTraining();
            data_ = std::make_unique<Data>(std::move(d));
            val o = val::object();
            o.set("train", data_->train.n);
            o.set("test", data_->test.n);
            o.set("rows", data_->train.shape.h);
            o.set("cols", data_->train.shape.w);
            return o;
        });
    }

    bool hasData() const { return bool(data_); }

    // Images at the given indices of "train" or "test": {rows, cols, pixels: Uint8Array,
    // labels: Uint8Array}.
    val gatherImages(const std::string& which, const val& indices) {
        return guarded([&] {
            const Data& d = data();
            const bool train = which == "train";
            if (!train && which != "test") throw cnn::Error("no data set named '" + which + "'");
            const cnn::Dataset& set = train ? d.train : d.test;
            const auto idx = from_js<int>(indices);
            const std::size_t sz = set.shape.size();
            std::vector<std::uint8_t> pixels(idx.size() * sz), out_labels(idx.size());
            for (std::size_t k = 0; k < idx.size(); ++k) {
                if (idx[k] < 0 || idx[k] >= set.n)
                    throw cnn::Error("image " + std::to_string(idx[k]) + " is outside the " +
                                     which + " set of " + std::to_string(set.n));
                std::copy_n(set.pixels.begin() + std::ptrdiff_t(idx[k] * sz), sz,
                            pixels.begin() + std::ptrdiff_t(k * sz));
                out_labels[k] = set.labels[std::size_t(idx[k])];
            }
            val o = val::object();
            o.set("rows", set.shape.h);
            o.set("cols", set.shape.w);
            o.set("pixels", to_js(pixels));
            o.set("labels", to_js(out_labels));
            return o;
        });
    }

    // Starts training a fresh model. options: {spec, seed, epochs, batchSize, learningRate,
    // trainSize, validationSplit, patience, augment (bool: core's default affine distortion),
    // lrSchedule ("constant", "cosine" or "step"), labelSmoothing}. The first trainSize training
    // images are used and the last validationSplit of them are held out for validation (Keras
    // validation_split). The trainer refuses out-of-range settings with core's message.
    void startTraining(const val& options) {
        guarded([&] { begin_training(options, nullptr); });
    }

    // Continues a run from a checkpoint made by checkpoint() (same options, same data): core
    // checks that they match and continues exactly where the checkpoint was taken.
    void resumeTraining(const val& options, const val& bytes) {
        guarded([&] {
            const auto data = from_js<std::uint8_t>(bytes);
            cnn::Checkpoint c = cnn::decode_checkpoint(data.data(), data.size());
            begin_training(options, &c);
        });
    }

    // The running training's checkpoint (model + trainer state; core's format), e.g. at the end
    // of an epoch, for resumeTraining after a reload.
    val checkpoint() {
        return guarded([&] {
            if (!run_) throw cnn::Error("training has not been started");
            return to_js(cnn::encode_checkpoint(model_, run_->trainer->state()));
        });
    }


    // Runs up to n batches. Returns {progress (last batch, or null), epochs (finished in this
    // call), done, cancelled, stoppedEarly, bestEpoch}.
    val trainStep(int n) {
        return guarded([&] {
            if (!run_) throw cnn::Error("training has not been started");
            val epochs = val::array();
            val progress = val::null();
            cnn::TrainCallbacks cb;
            cb.on_batch = [&](const cnn::Progress& p) { progress = progress_js(p); };
            cb.on_epoch = [&](const cnn::EpochStats& s) { epochs.call<void>("push", epoch_js(s)); };
            run_->trainer->run(n, cb);
            return step_js(progress, epochs);
        });
    }

    // Stops between batches; the model keeps the best epoch's weights (restore-best).
    val cancelTraining() {
        return guarded([&] {
            if (!run_) throw cnn::Error("training has not been started");
            run_->trainer->cancel();
            return step_js(val::null(), val::array());
        });
    }

    bool training() const { return run_ && !run_->trainer->done(); }

    val history() const {
        val list = val::array();
        if (run_)
            for (const auto& s : run_->trainer->history().epochs)
                list.call<void>("push", epoch_js(s));
        return list;
    }

    // Test-set evaluation: {n, accuracy, loss, classes, confusion: Int32Array (true x predicted),
    // predictions: Int32Array, misclassified: Int32Array of indices}.
    val evaluateTest() {
        return guarded([&] {
            const Data& d = data();
            const cnn::Dataset* test = &d.test;
            cnn::Dataset prepared;  // only for models trained on preprocessed (e.g. deskewed) input
            if (input_ != cnn::InputPreprocessing::mnist) {
                prepared = d.test;
                cnn::apply_input_preprocessing(input_, prepared);
                test = &prepared;
            }
            const cnn::Evaluation ev = cnn::evaluate(model_, *test, pool_.get());
            std::vector<int> wrong;
            for (int i = 0; i < ev.n; ++i)
                if (ev.predictions[std::size_t(i)] != d.test.labels[std::size_t(i)])
                    wrong.push_back(i);
            val o = val::object();
            o.set("n", ev.n);
            o.set("accuracy", ev.accuracy);
            o.set("loss", ev.loss);
            o.set("classes", ev.classes);
            o.set("confusion", to_js(ev.confusion));
            o.set("predictions", to_js(ev.predictions));
            o.set("misclassified", to_js(wrong));
            return o;
        });
    }

    // Fine-tunes the model on the user's corrections (bytes 0..255, n x input size, as the model
    // saw them) mixed with the loaded training digits; onStep(step, steps, loss) after each step.
    val fineTune(const val& pixels, const val& labels, const val& options, const val& onStep) {
        return guarded([&] {
            const Data& d = data();
            if (training()) throw cnn::Error("a training run is in progress: adapt the model after it ends");
            const auto bytes = from_js<std::uint8_t>(pixels);
            const auto y = from_js<std::uint8_t>(labels);
            const cnn::Shape in = model_.input_shape();
            if (bytes.size() != y.size() * in.size())
                throw cnn::Error("fineTune: " + std::to_string(y.size()) + " labels need " +
                                 std::to_string(y.size() * in.size()) + " pixels, got " + std::to_string(bytes.size()));
            const cnn::Dataset mine = cnn::make_dataset(int(y.size()), in, bytes.data(), y.data(), model_.classes());
            cnn::Dataset prepared;  // only for models trained on preprocessed (e.g. deskewed) input
            if (input_ != cnn::InputPreprocessing::mnist) {
                prepared = d.train;
                cnn::apply_input_preprocessing(input_, prepared);
            }
            cnn::FineTuneOptions o;
            o.steps = option<int>(options, "steps", o.steps);
            o.batch_size = option<int>(options, "batchSize", o.batch_size);
            o.examples_per_batch = option<int>(options, "examplesPerBatch", o.examples_per_batch);
            o.learning_rate = float(option<double>(options, "learningRate", o.learning_rate));
            o.augment_enabled = option<bool>(options, "augment", o.augment_enabled);
            o.seed = std::uint64_t(option<double>(options, "seed", double(o.seed)));
            const cnn::FineTuneResult r = cnn::fine_tune(
                model_, mine, input_ != cnn::InputPreprocessing::mnist ? prepared : d.train, o, pool_.get(),
                [&](int step, int steps, double loss) {
                    return onStep.isUndefined() || !onStep(step, steps, loss).strictlyEquals(val(false));
                });
            val out = val::object();
            out.set("steps", r.steps);
            out.set("cancelled", r.cancelled);
            out.set("seconds", r.seconds);
            out.set("firstLoss", r.first_loss);
            out.set("lastLoss", r.last_loss);
            out.set("rightBefore", r.examples_right_before);
            out.set("rightAfter", r.examples_right_after);
            out.set("examples", mine.n);
            out.set("settings", cnn::describe(o));
            return out;
        });
    }

private:
    struct Data {
        cnn::Dataset train, test;  // images held as bytes
    };
    // The trainer refers to the datasets, so they live together.
    void begin_training(const val& options, cnn::Checkpoint* resumed) {
        const Data& d = data();
        const std::string spec = option<std::string>(options, "spec", cnn::kSeedSpec);
        cnn::TrainOptions o;
        o.seed = std::uint64_t(option<double>(options, "seed", 1));
        o.epochs = option<int>(options, "epochs", 1);
        o.batch_size = option<int>(options, "batchSize", 64);
        o.learning_rate = float(option<double>(options, "learningRate", 1e-3));
        o.patience = option<int>(options, "patience", o.patience);
        o.augment_enabled = option<bool>(options, "augment", false);
        o.lr_schedule.decay = cnn::parse_lr_decay(option<std::string>(options, "lrSchedule", "constant"));
        o.label_smoothing = float(option<double>(options, "labelSmoothing", 0.0));
        const double split = option<double>(options, "validationSplit", 0.1);
        const int size = option<int>(options, "trainSize", d.train.n);
        if (size < 2 || size > d.train.n)
            throw cnn::Error("training set size must be between 2 and " +
                             std::to_string(d.train.n) + ", got " + std::to_string(size));
        if (!(split >= 0.0 && split < 1.0))
            throw cnn::Error("validation split must be in [0, 1), got " +
                             std::to_string(split));
        cnn::Model m = resumed ? std::move(resumed->model) : cnn::Model::from_spec(spec, o.seed);
        // Split as cnn::split_validation does (Keras: the first int(n * (1 - split)) train);
        // the slices stay bytes, like the data they come from.
        const int train_n = int(double(size) * (1.0 - split));
        if (train_n < 1)
            throw cnn::Error("no training samples left after the validation split");
        auto run = std::make_unique<Run>();
        run->train = cnn::slice(d.train, 0, train_n);
        run->validation = cnn::slice(d.train, train_n, size - train_n);
        stopTraining();
        model_ = std::move(m);
        metadata_ = "{}";
        input_ = cnn::InputPreprocessing::mnist;
        run->trainer = std::make_unique<cnn::Trainer>(model_, run->train, &run->validation, o,
                                                      pool_.get());
        if (resumed) run->trainer->restore(resumed->state);
        run_ = std::move(run);
    }

    struct Run {
        cnn::Dataset train, validation;
        std::unique_ptr<cnn::Trainer> trainer;
    };

    // An images file and its labels file as one byte-storage data set ("training", "test").
    static cnn::Dataset labelled(const val& images, const val& labels, const std::string& what) {
        cnn::IdxImages img = cnn::parse_idx_images(from_js<std::uint8_t>(images), what + " images");
        auto l = parse_labels(labels, what + " labels", img.count);
        return cnn::make_byte_dataset({img.rows, img.cols, 1}, std::move(img.pixels), std::move(l));
    }
    static std::vector<std::uint8_t> parse_labels(const val& bytes, const std::string& what,
                                                  int expected) {
        const auto data = from_js<std::uint8_t>(bytes);
        auto labels = cnn::parse_idx_labels(data.data(), data.size(), what);
        if (labels.size() != std::size_t(expected))
            throw cnn::DataError(what + " has " + std::to_string(labels.size()) +
                                 " labels but the images file has " + std::to_string(expected) +
                                 " images");
        return labels;
    }

    static std::vector<std::uint8_t> rgba_bytes(const val& rgba, int width, int height) {
        auto bytes = from_js<std::uint8_t>(rgba);
        if (width <= 0 || height <= 0 || bytes.size() != std::size_t(width) * height * 4)
            throw cnn::Error("preprocess: expected " + std::to_string(width) + "x" +
                             std::to_string(height) + " RGBA pixels, got " +
                             std::to_string(bytes.size()) + " bytes");
        return bytes;
    }

    // A preprocessed digit after the model's own input preprocessing (e.g. deskewing).
    val digit_js(cnn::Preprocessed p) const {
        if (!p.empty) cnn::apply_input_preprocessing(input_, p.pixels.data(), p.size, p.size);
        return preprocessed_js(p);
    }

    const Data& data() const {
        if (!data_) throw cnn::Error("no MNIST data loaded");
        return *data_;
    }

    void stopTraining() { run_.reset(); }

    val step_js(val progress, val epochs) const {
        const cnn::History& h = run_->trainer->history();
        val o = val::object();
        o.set("progress", progress);
        o.set("epochs", epochs);
        o.set("done", run_->trainer->done());
        o.set("cancelled", h.cancelled);
        o.set("stoppedEarly", h.stopped_early);
        o.set("bestEpoch", h.best_epoch);
        return o;
    }

    std::unique_ptr<cnn::ThreadPool> pool_;  // declared first: the trainer may use it to the end
    cnn::Model model_;
    std::string metadata_ = "{}";
    cnn::InputPreprocessing input_ = cnn::InputPreprocessing::mnist;
    std::unique_ptr<Data> data_;
    std::unique_ptr<Run> run_;
};

// Free functions for tools and tests that only need to read IDX bytes.
val parseIdxImages(const val& bytes) {
    return guarded([&] {
        const auto data = from_js<std::uint8_t>(bytes);
        const cnn::IdxImages imgs = cnn::parse_idx_images(data.data(), data.size(), "IDX images");
        val o = val::object();
        o.set("count", imgs.count);
        o.set("rows", imgs.rows);
        o.set("cols", imgs.cols);
        o.set("pixels", to_js(imgs.pixels));
        return o;
    });
}

val parseIdxLabels(const val& bytes) {
    return guarded([&] {
        const auto data = from_js<std::uint8_t>(bytes);
        return to_js(cnn::parse_idx_labels(data.data(), data.size(), "IDX labels"));
    });
}

// Throws core's message (with the layer it concerns) if spec is not a buildable model spec. The
// page checks a spec here, in the single-threaded module, before the threaded module trains it:
// that module loses the context core adds to spec errors (see current_exception_message).
val encodeIdxImages(const val& pixels, int count, int rows, int cols) {
    return guarded([&] {
        cnn::IdxImages img;
        img.count = count;
        img.rows = rows;
        img.cols = cols;
        img.pixels = from_js<std::uint8_t>(pixels);
        return to_js(cnn::encode_idx_images(img));
    });
}

val encodeIdxLabels(const val& labels) {
    return guarded([&] { return to_js(cnn::encode_idx_labels(from_js<std::uint8_t>(labels))); });
}

void checkSpec(const std::string& spec) {
    guarded([&] { cnn::parse_spec(spec); });
}

std::string seedSpec() { return cnn::kSeedSpec; }
std::string improvedSpec() { return cnn::kImprovedSpec; }

}  // namespace

EMSCRIPTEN_BINDINGS(digit_cnn) {
    using namespace emscripten;
    class_<Session>("Session")
        .constructor<>()
        .function("loadWeights", &Session::loadWeights)
        .function("saveWeights", &Session::saveWeights)
        .function("exportOnnx", &Session::exportOnnx)
        .function("initModel", &Session::initModel)
        .function("spec", &Session::spec)
        .function("metadata", &Session::metadata)
        .function("setMetadata", &Session::setMetadata)
        .function("paramCount", &Session::paramCount)
        .function("inputShape", &Session::inputShape)
        .function("classes", &Session::classes)
        .function("setThreads", &Session::setThreads)
        .function("threads", &Session::threads)
        .function("summary", &Session::summary)
        .function("preprocessRgba", &Session::preprocessRgba)
        .function("preprocessInk", &Session::preprocessInk)
        .function("preprocessPhoto", &Session::preprocessPhoto)
        .function("prepareImages", &Session::prepareImages)
        .function("inputPreprocessing", &Session::inputPreprocessing)
        .function("predict", &Session::predict)
        .function("predictBatch", &Session::predictBatch)
        .function("decide", &Session::decide)
        .function("activation", &Session::activation)
        .function("layerParams", &Session::layerParams)
        .function("setData", &Session::setData)
        .function("hasData", &Session::hasData)
        .function("gatherImages", &Session::gatherImages)
        .function("startTraining", &Session::startTraining)
        .function("resumeTraining", &Session::resumeTraining)
        .function("checkpoint", &Session::checkpoint)
        .function("trainStep", &Session::trainStep)
        .function("cancelTraining", &Session::cancelTraining)
        .function("training", &Session::training)
        .function("history", &Session::history)
        .function("evaluateTest", &Session::evaluateTest)
        .function("fineTune", &Session::fineTune);
    function("parseIdxImages", &parseIdxImages);
    function("parseIdxLabels", &parseIdxLabels);
    function("encodeIdxImages", &encodeIdxImages);
    function("encodeIdxLabels", &encodeIdxLabels);
    function("checkSpec", &checkSpec);
    function("seedSpec", &seedSpec);
    function("improvedSpec", &improvedSpec);
}
