#include "cnn/training/manifest.hpp"

#include <string>

#include "cnn/base/float_text.hpp"

namespace cnn {

namespace {

nlohmann::json shape_json(const Shape& s) { return {s.h, s.w, s.c}; }

// A float setting as the decimal it was given as (0.002f as 0.002, not 0.0020000000949949026).
double decimal(float v) { return std::stod(float_text(v)); }

}  // namespace

nlohmann::json training_manifest(Model& model, const TrainOptions& o, InputPreprocessing input, int train_samples,
                                 int validation_samples) {
    nlohmann::json m;
    m["format"] = "digit-cnn manifest";
    m["version"] = 1;
    m["spec"] = model.spec();
    // What the input must look like: MNIST pixels in [0, 1], white ink on black, digit scaled into
    // 20x20 and centred by centre of mass in 28x28 (preprocess_digit for drawings), then what this
    // field says (LoadedModel applies it).
    m["preprocessing"] = input_preprocessing_name(input);
    m["input_shape"] = shape_json(model.input_shape());
    m["classes"] = model.classes();
    m["parameters"] = model.param_count();
    auto layers = nlohmann::json::array();
    const auto rows = model.summary();
    for (std::size_t i = 0; i < rows.size(); ++i)
        layers.push_back({{"name", rows[i].name},
                          {"type", model.layer(i).kind()},
                          {"spec", rows[i].spec},
                          {"output_shape", shape_json(rows[i].output)},
                          {"params", rows[i].params}});
    m["layers"] = layers;
    m["seed"] = o.seed;
    nlohmann::json& t = m["training"];
    t["epochs"] = o.epochs;
    t["batch_size"] = o.batch_size;
    t["optimizer"] = o.optimizer;
    t["learning_rate"] = decimal(o.learning_rate);
    if (o.optimizer == "sgd") t["momentum"] = decimal(o.momentum);
    t["validation_split"] = o.validation_split;
    t["patience"] = o.patience;
    t["restore_best"] = o.restore_best;
    t["label_smoothing"] = decimal(o.label_smoothing);
    t["train_samples"] = train_samples;
    t["validation_samples"] = validation_samples;
    t["augmentation"] = o.augment_enabled ? nlohmann::json(describe(o.augment)) : nlohmann::json();
    t["lr_schedule"] = describe(o.lr_schedule, o.epochs);
    m["test_accuracy"] = nullptr;
    m["test_loss"] = nullptr;
    return m;
}

void add_run_results(nlohmann::json& m, const History& h, bool restore_best) {
    m["epochs_run"] = int(h.epochs.size());
    m["best_epoch"] = h.best_epoch;
    m["weights_from_epoch"] = restore_best && h.best_epoch > 0 ? h.best_epoch : int(h.epochs.size());
    m["stopped_early"] = h.stopped_early;
    m["cancelled"] = h.cancelled;
    double seconds = 0, images = 0;
    for (const auto& e : h.epochs) {
        seconds += e.seconds;
        images += e.images_per_second * e.seconds;
    }
    if (h.best_epoch > 0) {
        const auto& best = h.epochs[std::size_t(h.best_epoch - 1)];
        m["best_val_loss"] = best.has_validation ? nlohmann::json(best.val_loss) : nlohmann::json();
        m["best_val_accuracy"] = best.has_validation ? nlohmann::json(best.val_accuracy) : nlohmann::json();
    }
    m["images_per_second"] = seconds > 0 ? images / seconds : 0.0;  // training batches only
    if (h.averaged.last_epoch > 0) {
        const AveragedModel& a = h.averaged;
        m["weights_from_epoch"] = nullptr;
        m["averaged_epochs"] = {a.first_epoch, a.last_epoch};
        m["averaged_val_loss"] = a.has_validation ? nlohmann::json(a.val_loss) : nlohmann::json();
        m["averaged_val_accuracy"] = a.has_validation ? nlohmann::json(a.val_accuracy) : nlohmann::json();
    }
}

void add_test_results(nlohmann::json& m, const Evaluation& test) {
    m["test_accuracy"] = test.accuracy;
    m["test_loss"] = test.loss;
    m["test_images"] = test.n;
}

}  // namespace cnn
