#include "cnn/training/page_json.hpp"

#include <cmath>
#include <initializer_list>
#include <limits>

#include <nlohmann/json.hpp>

#include "cnn/base/error.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/lr_schedule.hpp"

namespace cnn {
namespace {

using nlohmann::json;

// An options object whose fields are read by name, each read once; unknown names are refused up
// front so that a misspelt option is an error rather than a silently kept default.
class Fields {
public:
    Fields(const std::string& text, const char* what, std::initializer_list<const char*> known) : what_(what) {
        object_ = json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (object_.is_discarded()) throw Error(what_ + " are not valid JSON");
        if (object_.is_null()) object_ = json::object();
        if (!object_.is_object()) throw Error(what_ + " must be an object");
        std::string names;
        for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
        for (const auto& item : object_.items()) {
            bool found = false;
            for (const char* k : known) found = found || item.key() == k;
            if (!found) throw Error("unknown " + name_of(item.key()) + " (known: " + names + ")");
        }
    }

    double number(const char* name, double fallback) const {
        const json* v = field(name);
        if (!v) return fallback;
        if (!v->is_number()) throw Error(name_of(name) + " must be a number");
        return v->get<double>();
    }
    long long integer(const char* name, long long fallback) const {
        const double x = number(name, double(fallback));
        if (x != std::floor(x) || std::fabs(x) > 9.0e15) throw Error(name_of(name) + " must be a whole number");
        return static_cast<long long>(x);
    }
    int small_integer(const char* name, int fallback) const {
        const long long x = integer(name, fallback);
        if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
            throw Error(name_of(name) + " is out of range");
        return int(x);
    }
    std::uint64_t seed(const char* name, std::uint64_t fallback) const {
        const long long x = integer(name, static_cast<long long>(fallback));
        if (x < 0) throw Error(name_of(name) + " must not be negative");
        return std::uint64_t(x);
    }
    bool flag(const char* name, bool fallback) const {
        const json* v = field(name);
        if (!v) return fallback;
        if (!v->is_boolean()) throw Error(name_of(name) + " must be true or false");
        return v->get<bool>();
    }
    std::string text(const char* name, const std::string& fallback) const {
        const json* v = field(name);
        if (!v) return fallback;
        if (!v->is_string()) throw Error(name_of(name) + " must be a string");
        return v->get<std::string>();
    }

private:
    // The field, or nullptr when absent. JSON has no NaN or Infinity: JSON.stringify writes them
    // as null, so a null field is refused, not taken as absent.
    const json* field(const char* name) const {
        const auto it = object_.find(name);
        if (it == object_.end()) return nullptr;
        if (it->is_null()) throw Error(name_of(name) + " is not a finite value");
        return &*it;
    }
    // "training options", "epochs" -> "training option 'epochs'".
    std::string name_of(const std::string& name) const {
        return what_.substr(0, what_.size() - 1) + " '" + name + "'";
    }

    std::string what_;  // plural, e.g. "training options"
    json object_;
};

}  // namespace

RunSettings run_settings_from_json(const std::string& text) {
    const Fields f(text, "training options",
                   {"spec", "seed", "epochs", "batchSize", "learningRate", "trainSize", "validationSplit",
                    "patience", "augment", "lrSchedule", "labelSmoothing"});
    RunSettings s;
    s.spec = f.text("spec", kSeedSpec);
    s.train_size = f.small_integer("trainSize", 0);
    TrainOptions& o = s.options;
    o.seed = f.seed("seed", 1);
    o.epochs = f.small_integer("epochs", 1);
    o.batch_size = f.small_integer("batchSize", 64);
    o.learning_rate = float(f.number("learningRate", 1e-3));
    o.patience = f.small_integer("patience", o.patience);
    o.augment_enabled = f.flag("augment", false);
    o.lr_schedule.decay = parse_lr_decay(f.text("lrSchedule", "constant"));
    o.label_smoothing = float(f.number("labelSmoothing", 0.0));
    o.validation_split = f.number("validationSplit", 0.1);
    return s;
}

FineTuneOptions fine_tune_options_from_json(const std::string& text) {
    const Fields f(text, "adapting options",
                   {"steps", "batchSize", "examplesPerBatch", "negativesPerBatch", "learningRate", "augment", "blend",
                    "seed", "gate"});
    FineTuneOptions o;
    o.steps = f.small_integer("steps", o.steps);
    o.batch_size = f.small_integer("batchSize", o.batch_size);
    o.examples_per_batch = f.small_integer("examplesPerBatch", o.examples_per_batch);
    o.negatives_per_batch = f.small_integer("negativesPerBatch", o.negatives_per_batch);
    o.learning_rate = float(f.number("learningRate", o.learning_rate));
    o.augment_enabled = f.flag("augment", o.augment_enabled);
    o.blend = float(f.number("blend", o.blend));
    o.seed = f.seed("seed", o.seed);
    // "gate": true: the settings a "not a digit" gate adapts with beside a reader adapting with these.
    if (f.flag("gate", false)) o = gate_fine_tune_options(o);
    validate(o);
    return o;
}

std::string epoch_json(const EpochStats& s) {
    return json{{"epoch", s.epoch}, {"loss", s.loss}, {"accuracy", s.accuracy},
                {"hasValidation", s.has_validation}, {"valLoss", s.val_loss}, {"valAccuracy", s.val_accuracy},
                {"seconds", s.seconds}, {"imagesPerSecond", s.images_per_second}, {"improved", s.improved}}
        .dump();
}

std::string progress_json(const Progress& p) {
    return json{{"epoch", p.epoch}, {"epochs", p.epochs}, {"batch", p.batch}, {"batches", p.batches},
                {"loss", p.loss}, {"accuracy", p.accuracy}, {"imagesPerSecond", p.images_per_second},
                {"elapsedSeconds", p.elapsed_seconds}, {"etaSeconds", p.eta_seconds}}
        .dump();
}

std::string fine_tune_json(const FineTuneResult& r, int examples, const FineTuneOptions& options) {
    return json{{"steps", r.steps}, {"cancelled", r.cancelled}, {"seconds", r.seconds},
                {"firstLoss", r.first_loss}, {"lastLoss", r.last_loss},
                {"rightBefore", r.examples_right_before}, {"rightAfter", r.examples_right_after},
                {"examples", examples}, {"settings", describe(options)}}
        .dump();
}

}  // namespace cnn
