// Embind layer: exported names and small adapters that marshal arguments, call core and turn
// core's exceptions into JavaScript Errors carrying the same message. Arrays cross as copies.
// No logic lives here: checks, preprocessing, training and evaluation are core's.
#include <cxxabi.h>
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "cnn/base/dataset.hpp"
#include "cnn/base/error.hpp"
#include "cnn/image/drawing.hpp"
#include "cnn/image/photo.hpp"
#include "cnn/image/preprocess.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/page_json.hpp"
#include "cnn/training/workbench.hpp"

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

// JS value <-> JSON text, for the objects core reads and writes as JSON (training/page_json.hpp).
std::string json_text(const val& v) { return val::global("JSON").call<std::string>("stringify", v.isUndefined() ? val::object() : v); }
val from_json(const std::string& text) { return val::global("JSON").call<val>("parse", text); }

val shape_js(const cnn::Shape& s) { return object({{"h", val(s.h)}, {"w", val(s.w)}, {"c", val(s.c)}}); }

// A decision as the page reads it: {isDigit, best, second, bestP, secondP, notDigitP, digitProbs}.
val answer_js(const cnn::Answer& a) {
    return object({{"isDigit", val(a.is_digit)}, {"best", val(a.best)}, {"second", val(a.second)},
                   {"bestP", val(a.best_p)}, {"secondP", val(a.second_p)}, {"notDigitP", val(a.not_digit_p)},
                   {"digitProbs", to_js(a.digit_probabilities)}});
}

val digit_js(const cnn::Preprocessed& p) {
    return object({{"empty", val(p.empty)}, {"size", val(p.size)}, {"pixels", to_js(p.pixels)}});
}

std::vector<std::uint8_t> rgba_bytes(const val& rgba, int width, int height) {
    auto bytes = from_js<std::uint8_t>(rgba);
    cnn::check_rgba_size(bytes.size(), width, height);
    return bytes;
}

// The page's Workbench (core: the model, the MNIST data, a training run), method by method.
class Session {
public:
    // Replaces the model only if the file (weights or ONNX) decodes and reads digits; otherwise
    // throws core's message and keeps the current model.
    void loadWeights(const val& bytes) {
        guarded([&] {
            const auto data = from_js<std::uint8_t>(bytes);
            wb_.load_model(data.data(), data.size());
        });
    }
    val saveWeights() { return guarded([&] { return to_js(cnn::encode_weights(model(), metadata())); }); }
    val exportOnnx() { return guarded([&] { return to_js(cnn::encode_onnx(model(), metadata())); }); }
    // A fresh model from a spec, initialised from seed (Keras defaults).
    void initModel(const std::string& spec, double seed) {
        guarded([&] { wb_.replace_model(cnn::LoadedModel(cnn::Model::from_spec(spec, std::uint64_t(seed)))); });
    }
    std::string spec() const { return wb_.model().model().spec(); }
    std::string metadata() const { return wb_.model().metadata(); }
    // Replaces the metadata stored with the weights; its "preprocessing" and "reject" then apply.
    void setMetadata(const std::string& json) { guarded([&] { wb_.model().set_metadata(json); }); }
    std::string inputPreprocessing() const { return cnn::input_preprocessing_name(wb_.model().input()); }
    double paramCount() { return double(model().param_count()); }
    val summary() {
        val rows = val::array();
        for (const auto& s : model().summary())
            rows.call<void>("push", object({{"name", val(s.name)}, {"spec", val(s.spec)},
                                            {"output", shape_js(s.output)}, {"params", val(double(s.params))}}));
        return rows;
    }

    // Threads for inference, training and evaluation (1 = this thread only). Threads exist only
    // in the pthreads build (digit_cnn_mt); elsewhere this stays 1. Returns the count in use.
    int setThreads(int n) {
#ifndef __EMSCRIPTEN_PTHREADS__
        n = 1;
#endif
        return guarded([&] { return wb_.set_threads(n); });
    }
    int threads() const { return wb_.threads(); }

    // Canvas RGBA (dark on light or transparent) -> {empty, size, pixels: Float32Array} as the
    // model takes it, the pen width brought into MNIST's range (drawing.hpp).
    val preprocessRgba(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            return digit_js(wb_.model().prepare(cnn::preprocess_drawing(cnn::ink_from_rgba(bytes.data(), width, height))));
        });
    }
    // A photo or scan (RGBA) -> {empty, size, pixels, darkOnLight, componentsKept,
    // componentsDropped}: core's photo cleaning, then the same steps as a drawing.
    val preprocessPhoto(const val& rgba, int width, int height) {
        return guarded([&] {
            const auto bytes = rgba_bytes(rgba, width, height);
            const cnn::PhotoDigit d = cnn::preprocess_photo(cnn::luminance_from_rgba(bytes.data(), width, height));
            val o = digit_js(wb_.model().prepare(d.digit));
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
            model().check_images(x.size(), n);
            wb_.model().prepare(x.data(), n);
            return to_js(x);
        });
    }
    // One input image (input-size floats) -> Float32Array of class probabilities.
    val predict(const val& pixels) { return predictBatch(pixels, 1); }
    // n images -> n * classes probabilities.
    val predictBatch(const val& pixels, int n) {
        return guarded([&] { return to_js(model().predict(from_js<float>(pixels), n, wb_.pool())); });
    }
    // One image's probabilities -> the decision under the model's rule: {isDigit, best, second,
    // bestP, secondP, notDigitP, digitProbs (the ten digits' if it is a digit)}.
    val decide(const val& probs) const {
        return guarded([&] {
            const auto p = from_js<float>(probs);
            return answer_js(wb_.model().decide(p.data(), int(p.size())));
        });
    }
    // The same, then vetoed by `gate` (a session whose model passes requireGate) from its own
    // probabilities for the same drawing: notDigitP is then the gate's.
    val decideGated(const val& probs, const Session& gate, const val& gateProbs) const {
        return guarded([&] {
            const auto p = from_js<float>(probs), q = from_js<float>(gateProbs);
            return answer_js(wb_.model().decide(p.data(), int(p.size()), gate.wb_.model(), q.data(), int(q.size())));
        });
    }
    // Throws core's message unless this session's model can veto another's digits: eleven outputs
    // and a calibrated not-digit gate. {notDigit: the gate} when it can.
    val requireGate() const {
        return guarded([&] {
            cnn::require_gate_model(wb_.model());
            return object({{"notDigit", val(wb_.model().rule().not_digit)}});
        });
    }
    // Output of layer i for the first image of the last forward pass: {h, w, c, data} (NHWC).
    val activation(int layer) const {
        return guarded([&] {
            const cnn::Tensor& t = wb_.model().model().first_activation(layer);
            val o = shape_js(t.shape());
            o.set("data", to_js(t.sample(0), t.sample_size()));
            return o;
        });
    }
    // Parameters of layer i: [{name, shape, data}], e.g. conv kernels {kh, kw, in, out}.
    val layerParams(int layer) {
        return guarded([&] {
            val list = val::array();
            for (const auto& p : model().layer_at(layer).params())
                list.call<void>("push", object({{"name", val(p.name)}, {"shape", to_js(p.shape)},
                                                {"data", to_js(p.value, p.size)}}));
            return list;
        });
    }

    // Uncompressed IDX bytes of the MNIST training and test sets (the page gunzips first), kept
    // as bytes (a quarter of the memory of floats; wasm memory never shrinks). -> {train, test, rows, cols}
    val setData(const val& trainImages, const val& trainLabels, const val& testImages, const val& testLabels) {
        return guarded([&] {
            wb_.set_data(
                cnn::decode_idx_dataset(from_js<std::uint8_t>(trainImages), from_js<std::uint8_t>(trainLabels), "training"),
                cnn::decode_idx_dataset(from_js<std::uint8_t>(testImages), from_js<std::uint8_t>(testLabels), "test"));
            const cnn::Dataset& train = wb_.data("train");
            return object({{"train", val(train.n)}, {"test", val(wb_.data("test").n)},
                           {"rows", val(train.shape.h)}, {"cols", val(train.shape.w)}});
        });
    }
    // Images at the given indices of "train" or "test": {rows, cols, pixels: Uint8Array, labels: Uint8Array}.
    val gatherImages(const std::string& which, const val& indices) {
        return guarded([&] {
            const cnn::Dataset g = cnn::gather(wb_.data(which), from_js<int>(indices));
            return object({{"rows", val(g.shape.h)}, {"cols", val(g.shape.w)}, {"pixels", to_js(g.pixels)},
                           {"labels", to_js(g.labels)}});
        });
    }

    // Starts training a fresh model. options: {spec, seed, epochs, batchSize, learningRate,
    // trainSize, validationSplit, patience, augment (bool: core's default affine distortion),
    // lrSchedule ("constant", "cosine" or "step"), labelSmoothing}: core checks them.
    // -> {train, validation}: the sample counts.
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
    val checkpoint() { return guarded([&] { return to_js(wb_.checkpoint()); }); }
    // Runs up to n batches. Returns {progress (last batch, or null), epochs (finished in this
    // call), done, cancelled, stoppedEarly, bestEpoch}.
    val trainStep(int n) {
        return guarded([&] {
            val epochs = val::array();
            val progress = val::null();
            cnn::TrainCallbacks cb;
            cb.on_batch = [&](const cnn::Progress& p) { progress = from_json(cnn::progress_json(p)); };
            cb.on_epoch = [&](const cnn::EpochStats& s) { epochs.call<void>("push", from_json(cnn::epoch_json(s))); };
            wb_.trainer().run(n, cb);
            return step_js(progress, epochs);
        });
    }
    // Stops between batches; the model keeps the best epoch's weights (restore-best).
    val cancelTraining() {
        return guarded([&] {
            wb_.trainer().cancel();
            return step_js(val::null(), val::array());
        });
    }
    val history() const {
        val list = val::array();
        if (wb_.has_run())
            for (const auto& s : wb_.trainer().history().epochs) list.call<void>("push", from_json(cnn::epoch_json(s)));
        return list;
    }
    // Test-set evaluation: {n, accuracy, loss, classes, confusion: Int32Array (true x predicted),
    // predictions: Int32Array, misclassified: Int32Array of indices}. After training, its figures
    // also go into trainingMetadata().
    val evaluateTest() {
        return guarded([&] {
            const cnn::Evaluation ev = wb_.evaluate_test();
            return object({{"n", val(ev.n)}, {"accuracy", val(ev.accuracy)}, {"loss", val(ev.loss)},
                           {"classes", val(ev.classes)}, {"confusion", to_js(ev.confusion)},
                           {"predictions", to_js(ev.predictions)},
                           {"misclassified", to_js(ev.misclassified(wb_.data("test").labels))}});
        });
    }
    // The last run's manifest (core's layout, training/manifest.hpp) as JSON text, with its
    // results so far; the page adds its own fields and stores it with setMetadata.
    std::string trainingMetadata() { return guarded([&] { return wb_.training_metadata(); }); }

    // Drawings that are not a digit (bytes 0..255, n x 28 x 28, labels 0..10), replayed when a
    // "not a digit" gate is adapted (options.negativesPerBatch).
    void setNegatives(const val& pixels, const val& labels) {
        guarded([&] {
            wb_.set_negatives(cnn::make_byte_dataset(cnn::Shape{28, 28, 1}, from_js<std::uint8_t>(pixels),
                                                     from_js<std::uint8_t>(labels), cnn::kNotDigitClass + 1));
        });
    }
    int negativesCount() const { return wb_.negatives_count(); }

    // Fine-tunes the model on the user's corrections (bytes 0..255, n x input size, as the model
    // saw them) mixed with the loaded training digits; onStep(step, steps, loss) after each step.
    val fineTune(const val& pixels, const val& labels, const val& options, const val& onStep) {
        return guarded([&] {
            const cnn::Dataset mine = cnn::make_byte_dataset(model().input_shape(), from_js<std::uint8_t>(pixels),
                                                             from_js<std::uint8_t>(labels), model().classes());
            const cnn::FineTuneOptions o = cnn::fine_tune_options_from_json(json_text(options));
            const cnn::FineTuneResult r = wb_.fine_tune(mine, o, [&](int step, int steps, double loss) {
                return onStep.isUndefined() || !onStep(step, steps, loss).strictlyEquals(val(false));
            });
            return from_json(cnn::fine_tune_json(r, mine.n, o));
        });
    }

private:
    val begin_training(const val& options, cnn::Checkpoint* resumed) {
        wb_.start(cnn::run_settings_from_json(json_text(options)), "in the browser (digit-cnn web page)", resumed);
        return object({{"train", val(wb_.train_split().n)}, {"validation", val(wb_.validation_split().n)}});
    }
    val step_js(val progress, val epochs) const {
        const cnn::History& h = wb_.trainer().history();
        return object({{"progress", progress}, {"epochs", epochs}, {"done", val(wb_.trainer().done())},
                       {"cancelled", val(h.cancelled)}, {"stoppedEarly", val(h.stopped_early)},
                       {"bestEpoch", val(h.best_epoch)}});
    }
    cnn::Model& model() { return wb_.model().model(); }

    cnn::Workbench wb_;
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
        .function("decideGated", &Session::decideGated)
        .function("requireGate", &Session::requireGate)
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
        .function("setNegatives", &Session::setNegatives)
        .function("negativesCount", &Session::negativesCount)
        .function("fineTune", &Session::fineTune);
    function("parseIdxImages", &parseIdxImages);
    function("parseIdxLabels", &parseIdxLabels);
    function("encodeIdxImages", &encodeIdxImages);
    function("encodeIdxLabels", &encodeIdxLabels);
    function("checkSpec", &checkSpec);
    function("seedSpec", &seedSpec);
    function("improvedSpec", &improvedSpec);
}
