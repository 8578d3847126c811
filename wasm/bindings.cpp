// Embind layer: exported names and small adapters that marshal arguments, call core and turn
// core's exceptions into JavaScript Errors carrying the same message. Arrays cross as copies.
// No logic lives here: checks, preprocessing, training and evaluation are core's.
#include <cxxabi.h>
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/error.hpp"
#include "cnn/base/parallel.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/photo.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/loaded_model.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/finetune.hpp"
#include "cnn/training/manifest.hpp"
#include "cnn/training/trainer.hpp"

using emscripten::val;

namespace {

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
    val::global("Error").new_(message).throw_();
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

// A JS object from name/value pairs.
val object(std::initializer_list<std::pair<const char*, val>> fields) {
    val o = val::object();
    for (const auto& [name, value] : fields) o.set(name, value);
    return o;
}

// Options object field with a default when absent.
template <class T>
T option(const val& options, const char* name, T fallback) {
    const val v = options[name];
    return v.isUndefined() || v.isNull() ? fallback : v.as<T>();
}

val shape_js(const cnn::Shape& s) { return object({{"h", val(s.h)}, {"w", val(s.w)}, {"c", val(s.c)}}); }

val digit_js(const cnn::Preprocessed& p) {
    return object({{"empty", val(p.empty)}, {"size", val(p.size)}, {"pixels", to_js(p.pixels)}});
}

val progress_js(const cnn::Progress& p) {
    return object({{"epoch", val(p.epoch)}, {"epochs", val(p.epochs)}, {"batch", val(p.batch)},
                   {"batches", val(p.batches)}, {"loss", val(p.loss)}, {"accuracy", val(p.accuracy)},
                   {"imagesPerSecond", val(p.images_per_second)}, {"elapsedSeconds", val(p.elapsed_seconds)},
                   {"etaSeconds", val(p.eta_seconds)}});
}

val epoch_js(const cnn::EpochStats& s) {
    return object({{"epoch", val(s.epoch)}, {"loss", val(s.loss)}, {"accuracy", val(s.accuracy)},
                   {"hasValidation", val(s.has_validation)}, {"valLoss", val(s.val_loss)},
                   {"valAccuracy", val(s.val_accuracy)}, {"seconds", val(s.seconds)},
                   {"imagesPerSecond", val(s.images_per_second)}, {"improved", val(s.improved)}});
}

std::vector<std::uint8_t> rgba_bytes(const val& rgba, int width, int height) {
    auto bytes = from_js<std::uint8_t>(rgba);
    cnn::check_rgba_size(bytes.size(), width, height);
    return bytes;
}

// A loaded model plus, for training, the MNIST data and a resumable trainer.
class Session {
public:
    Session() : model_(cnn::Model::from_spec(cnn::kSeedSpec, 1)) {}

    // Replaces the model only if the file (weights or ONNX) decodes and reads digits; otherwise
    // throws core's message and keeps the current model.
    void loadWeights(const val& bytes) {
        guarded([&] {
            const auto data = from_js<std::uint8_t>(bytes);
            cnn::LoadedModel m = cnn::decode_loaded_model(data.data(), data.size());
            cnn::require_digit_model(m.model());
            replace_model(std::move(m));
        });
    }
    val saveWeights() { return guarded([&] { return to_js(cnn::encode_weights(model_.model(), metadata())); }); }
    val exportOnnx() { return guarded([&] { return to_js(cnn::encode_onnx(model_.model(), metadata())); }); }
    // A fresh model from a spec, initialised from seed (Keras defaults).
    void initModel(const std::string& spec, double seed) {
        guarded([&] { replace_model(cnn::LoadedModel(cnn::Model::from_spec(spec, std::uint64_t(seed)))); });
    }
    std::string spec() const { return model_.model().spec(); }
    std::string metadata() const { return model_.metadata(); }
    // Replaces the metadata stored with the weights; its "preprocessing" and "reject" then apply.
    void setMetadata(const std::string& json) { guarded([&] { model_.set_metadata(json); }); }
    std::string inputPreprocessing() const { return cnn::input_preprocessing_name(model_.input()); }
    double paramCount() { return double(model_.model().param_count()); }
    val summary() {
        val rows = val::array();
        for (const auto& s : model_.model().summary())
            rows.call<void>("push", object({{"name", val(s.name)}, {"spec", val(s.spec)},
                                            {"output", shape_js(s.output)}, {"params", val(double(s.params))}}));
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

    // Canvas RGBA (dark on light or transparent) -> {empty, size, pixels: Float32Array} as the
    // model takes it, the pen width brought into MNIST's range (drawing.hpp).
    val preprocessRgba(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            return digit_js(model_.prepare(cnn::preprocess_drawing(cnn::ink_from_rgba(bytes.data(), width, height))));
        });
    }
    // A photo or scan (RGBA) -> {empty, size, pixels, darkOnLight, componentsKept,
    // componentsDropped}: core's photo cleaning, then the same steps as a drawing.
    val preprocessPhoto(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            const cnn::PhotoDigit d = cnn::preprocess_photo(cnn::luminance_from_rgba(bytes.data(), width, height));
            val o = digit_js(model_.prepare(d.digit));
            o.set("darkOnLight", d.ink.dark_on_light);
            o.set("componentsKept", d.ink.components_kept);
            o.set("componentsDropped", d.ink.components_dropped);
            return o;
        });
    }
    // n images in MNIST form (e.g. from an IDX file) -> as the model takes them (a copy).
    val prepareImages(const val& pixels, int n) {
        return guarded([&] {
            auto x = from_js<float>(pixels);
            model_.model().check_images(x.size(), n);
            model_.prepare(x.data(), n);
            return to_js(x);
        });
    }
    // One input image (input-size floats) -> Float32Array of class probabilities.
    val predict(const val& pixels) { return predictBatch(pixels, 1); }
    // n images -> n * classes probabilities.
    val predictBatch(const val& pixels, int n) {
        return guarded([&] { return to_js(model_.model().predict(from_js<float>(pixels), n, pool_.get())); });
    }
    // One image's probabilities -> the decision under the model's rule: {isDigit, best, second,
    // bestP, secondP, notDigitP, digitProbs (the ten digits' if it is a digit)}.
    val decide(const val& probs) const {
        return guarded([&] {
            const auto p = from_js<float>(probs);
            const cnn::Answer a = model_.decide(p.data(), int(p.size()));
            return object({{"isDigit", val(a.is_digit)}, {"best", val(a.best)}, {"second", val(a.second)},
                           {"bestP", val(a.best_p)}, {"secondP", val(a.second_p)}, {"notDigitP", val(a.not_digit_p)},
                           {"digitProbs", to_js(a.digit_probabilities)}});
        });
    }
    // Output of layer i for the first image of the last forward pass: {h, w, c, data} (NHWC).
    val activation(int layer) const {
        return guarded([&] {
            const cnn::Tensor& t = model_.model().first_activation(layer);
            val o = shape_js(t.shape());
            o.set("data", to_js(t.sample(0), t.sample_size()));
            return o;
        });
    }
    // Parameters of layer i: [{name, shape, data}], e.g. conv kernels {kh, kw, in, out}.
    val layerParams(int layer) {
        return guarded([&] {
            val list = val::array();
            for (const auto& p : model_.model().layer_at(layer).params())
                list.call<void>("push", object({{"name", val(p.name)}, {"shape", to_js(p.shape)},
                                                {"data", to_js(p.value, p.size)}}));
            return list;
        });
    }

    // Uncompressed IDX bytes of the MNIST training and test sets (the page gunzips first), kept
    // as bytes (a quarter of the memory of floats; wasm memory never shrinks). -> {train, test, rows, cols}
    val setData(const val& trainImages, const val& trainLabels, const val& testImages, const val& testLabels) {
        return guarded([&] {
            auto d = std::make_unique<Data>();
            d->train = cnn::decode_idx_dataset(from_js<std::uint8_t>(trainImages), from_js<std::uint8_t>(trainLabels), "training");
            d->test = cnn::decode_idx_dataset(from_js<std::uint8_t>(testImages), from_js<std::uint8_t>(testLabels), "test");
            run_.reset();
            data_ = std::move(d);
            return object({{"train", val(data_->train.n)}, {"test", val(data_->test.n)},
                           {"rows", val(data_->train.shape.h)}, {"cols", val(data_->train.shape.w)}});
        });
    }
    // Images at the given indices of "train" or "test": {rows, cols, pixels: Uint8Array, labels: Uint8Array}.
    val gatherImages(const std::string& which, const val& indices) {
        return guarded([&] {
            if (which != "train" && which != "test") throw cnn::Error("no data set named '" + which + "'");
            const cnn::Dataset g = cnn::gather(which == "train" ? data().train : data().test, from_js<int>(indices));
            return object({{"rows", val(g.shape.h)}, {"cols", val(g.shape.w)}, {"pixels", to_js(g.pixels)},
                           {"labels", to_js(g.labels)}});
        });
    }

    // Starts training a fresh model. options: {spec, seed, epochs, batchSize, learningRate,
    // trainSize, validationSplit, patience, augment (bool: core's default affine distortion),
    // lrSchedule ("constant", "cosine" or "step"), labelSmoothing}: core's split_first and
    // Trainer check them. -> {train, validation}: the sample counts.
    val startTraining(const val& options) { return guarded([&] { return begin_training(options, nullptr); }); }
    // Continues a run from a checkpoint made by checkpoint() (same options, same data): core
    // checks that they match and continues exactly where the checkpoint was taken.
    val resumeTraining(const val& options, const val& bytes) {
        return guarded([&] {
            const auto data = from_js<std::uint8_t>(bytes);
            cnn::Checkpoint c = cnn::decode_checkpoint(data.data(), data.size());
            return begin_training(options, &c);
        });
    }
    // The running training's checkpoint (model + trainer state; core's format).
    val checkpoint() {
        return guarded([&] { return to_js(cnn::encode_checkpoint(model_.model(), run().trainer->state())); });
    }
    // Runs up to n batches. Returns {progress (last batch, or null), epochs (finished in this
    // call), done, cancelled, stoppedEarly, bestEpoch}.
    val trainStep(int n) {
        return guarded([&] {
            val epochs = val::array();
            val progress = val::null();
            cnn::TrainCallbacks cb;
            cb.on_batch = [&](const cnn::Progress& p) { progress = progress_js(p); };
            cb.on_epoch = [&](const cnn::EpochStats& s) { epochs.call<void>("push", epoch_js(s)); };
            run().trainer->run(n, cb);
            return step_js(progress, epochs);
        });
    }
    // Stops between batches; the model keeps the best epoch's weights (restore-best).
    val cancelTraining() {
        return guarded([&] {
            run().trainer->cancel();
            return step_js(val::null(), val::array());
        });
    }
    val history() const {
        val list = val::array();
        if (run_)
            for (const auto& s : run_->trainer->history().epochs) list.call<void>("push", epoch_js(s));
        return list;
    }
    // Test-set evaluation: {n, accuracy, loss, classes, confusion: Int32Array (true x predicted),
    // predictions: Int32Array, misclassified: Int32Array of indices}. After training, its figures
    // also go into trainingMetadata().
    val evaluateTest() {
        return guarded([&] {
            const cnn::Evaluation ev = model_.evaluate(data().test, pool_.get());
            if (run_) cnn::add_test_results(run_->manifest, ev);
            return object({{"n", val(ev.n)}, {"accuracy", val(ev.accuracy)}, {"loss", val(ev.loss)},
                           {"classes", val(ev.classes)}, {"confusion", to_js(ev.confusion)},
                           {"predictions", to_js(ev.predictions)},
                           {"misclassified", to_js(ev.misclassified(data().test.labels))}});
        });
    }
    // The last run's manifest (core's layout, training/manifest.hpp) as JSON text, with its
    // results so far; the page adds its own fields and stores it with setMetadata.
    std::string trainingMetadata() {
        return guarded([&] {
            nlohmann::json m = run().manifest;
            cnn::add_run_results(m, run().trainer->history(), run().options.restore_best);
            return m.dump();
        });
    }

    // Fine-tunes the model on the user's corrections (bytes 0..255, n x input size, as the model
    // saw them) mixed with the loaded training digits; onStep(step, steps, loss) after each step.
    val fineTune(const val& pixels, const val& labels, const val& options, const val& onStep) {
        return guarded([&] {
            if (training()) throw cnn::Error("a training run is in progress: adapt the model after it ends");
            const cnn::Dataset mine = cnn::make_byte_dataset(model_.model().input_shape(), from_js<std::uint8_t>(pixels),
                                                             from_js<std::uint8_t>(labels), model_.model().classes());
            cnn::FineTuneOptions o;
            o.steps = option<int>(options, "steps", o.steps);
            o.batch_size = option<int>(options, "batchSize", o.batch_size);
            o.examples_per_batch = option<int>(options, "examplesPerBatch", o.examples_per_batch);
            o.learning_rate = float(option<double>(options, "learningRate", o.learning_rate));
            o.augment_enabled = option<bool>(options, "augment", o.augment_enabled);
            o.seed = std::uint64_t(option<double>(options, "seed", double(o.seed)));
            cnn::Dataset scratch;
            const cnn::FineTuneResult r = cnn::fine_tune(
                model_.model(), mine, model_.prepared(data().train, scratch), o, pool_.get(),
                [&](int step, int steps, double loss) {
                    return onStep.isUndefined() || !onStep(step, steps, loss).strictlyEquals(val(false));
                });
            return object({{"steps", val(r.steps)}, {"cancelled", val(r.cancelled)}, {"seconds", val(r.seconds)},
                           {"firstLoss", val(r.first_loss)}, {"lastLoss", val(r.last_loss)},
                           {"rightBefore", val(r.examples_right_before)}, {"rightAfter", val(r.examples_right_after)},
                           {"examples", val(mine.n)}, {"settings", val(cnn::describe(o))}});
        });
    }

private:
    struct Data {
        cnn::Dataset train, test;  // images held as bytes
    };
    // The trainer refers to the split and the options, so they live together.
    struct Run {
        cnn::Dataset train, validation;
        cnn::TrainOptions options;
        nlohmann::json manifest;
        std::unique_ptr<cnn::Trainer> trainer;
    };

    val begin_training(const val& options, cnn::Checkpoint* resumed) {
        auto run = std::make_unique<Run>();
        cnn::TrainOptions& o = run->options;
        o.seed = std::uint64_t(option<double>(options, "seed", 1));
        o.epochs = option<int>(options, "epochs", 1);
        o.batch_size = option<int>(options, "batchSize", 64);
        o.learning_rate = float(option<double>(options, "learningRate", 1e-3));
        o.patience = option<int>(options, "patience", o.patience);
        o.augment_enabled = option<bool>(options, "augment", false);
        o.lr_schedule.decay = cnn::parse_lr_decay(option<std::string>(options, "lrSchedule", "constant"));
        o.label_smoothing = float(option<double>(options, "labelSmoothing", 0.0));
        o.validation_split = option<double>(options, "validationSplit", 0.1);
        std::tie(run->train, run->validation) =
            cnn::split_first(data().train, option<int>(options, "trainSize", 0), o.validation_split);
        cnn::Model m = resumed ? std::move(resumed->model)
                               : cnn::Model::from_spec(option<std::string>(options, "spec", cnn::kSeedSpec), o.seed);
        run_.reset();
        model_ = cnn::LoadedModel(std::move(m));
        run->trainer = std::make_unique<cnn::Trainer>(model_.model(), run->train, &run->validation, o, pool_.get());
        if (resumed) run->trainer->restore(resumed->state);
        run->manifest = cnn::training_manifest(model_.model(), o, model_.input(), run->train.n, run->validation.n);
        run->manifest["trained"] = "in the browser (digit-cnn web page)";
        run_ = std::move(run);
        return object({{"train", val(run_->train.n)}, {"validation", val(run_->validation.n)}});
    }

    void replace_model(cnn::LoadedModel m) {
        run_.reset();
        model_ = std::move(m);
    }
    bool training() const { return run_ && !run_->trainer->done(); }
    Run& run() const {
        if (!run_) throw cnn::Error("training has not been started");
        return *run_;
    }
    const Data& data() const {
        if (!data_) throw cnn::Error("no MNIST data loaded");
        return *data_;
    }
    val step_js(val progress, val epochs) const {
        const cnn::History& h = run_->trainer->history();
        return object({{"progress", progress}, {"epochs", epochs}, {"done", val(run_->trainer->done())},
                       {"cancelled", val(h.cancelled)}, {"stoppedEarly", val(h.stopped_early)},
                       {"bestEpoch", val(h.best_epoch)}});
    }

    std::unique_ptr<cnn::ThreadPool> pool_;  // declared first: the trainer may use it to the end
    cnn::LoadedModel model_;
    std::unique_ptr<Data> data_;
    std::unique_ptr<Run> run_;
};

// Free functions for tools and tests that read and write IDX bytes.
val parseIdxImages(const val& bytes) {
    return guarded([&] {
        const cnn::IdxImages i = cnn::parse_idx_images(from_js<std::uint8_t>(bytes), "IDX images");
        return object({{"count", val(i.count)}, {"rows", val(i.rows)}, {"cols", val(i.cols)}, {"pixels", to_js(i.pixels)}});
    });
}
val parseIdxLabels(const val& bytes) {
    return guarded([&] {
        const auto data = from_js<std::uint8_t>(bytes);
        return to_js(cnn::parse_idx_labels(data.data(), data.size(), "IDX labels"));
    });
}
val encodeIdxImages(const val& pixels, int count, int rows, int cols) {
    return guarded([&] { return to_js(cnn::encode_idx_images({count, rows, cols, from_js<std::uint8_t>(pixels)})); });
}
val encodeIdxLabels(const val& labels) {
    return guarded([&] { return to_js(cnn::encode_idx_labels(from_js<std::uint8_t>(labels))); });
}
// Throws core's message (with the layer it concerns) if spec is not a buildable model spec. The
// page checks a spec here, in the single-threaded module, before the threaded module trains it:
// that module loses the context core adds to spec errors (see current_exception_message).
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
        .function("inputPreprocessing", &Session::inputPreprocessing)
        .function("paramCount", &Session::paramCount)
        .function("summary", &Session::summary)
        .function("setThreads", &Session::setThreads)
        .function("threads", &Session::threads)
        .function("preprocessRgba", &Session::preprocessRgba)
        .function("preprocessPhoto", &Session::preprocessPhoto)
        .function("prepareImages", &Session::prepareImages)
        .function("predict", &Session::predict)
        .function("predictBatch", &Session::predictBatch)
        .function("decide", &Session::decide)
        .function("activation", &Session::activation)
        .function("layerParams", &Session::layerParams)
        .function("setData", &Session::setData)
        .function("gatherImages", &Session::gatherImages)
        .function("startTraining", &Session::startTraining)
        .function("resumeTraining", &Session::resumeTraining)
        .function("checkpoint", &Session::checkpoint)
        .function("trainStep", &Session::trainStep)
        .function("cancelTraining", &Session::cancelTraining)
        .function("history", &Session::history)
        .function("evaluateTest", &Session::evaluateTest)
        .function("trainingMetadata", &Session::trainingMetadata)
        .function("fineTune", &Session::fineTune);
    function("parseIdxImages", &parseIdxImages);
    function("parseIdxLabels", &parseIdxLabels);
    function("encodeIdxImages", &encodeIdxImages);
    function("encodeIdxLabels", &encodeIdxLabels);
    function("checkSpec", &checkSpec);
    function("seedSpec", &seedSpec);
    function("improvedSpec", &improvedSpec);
}
