// `digit-cnn train`: fit a model on IDX data with progress output, save the best weights, the
// history (JSON, CSV, SVG figure) and a manifest describing how the weights were made.
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/error.hpp"
#include "cnn/file_io.hpp"
#include "cnn/metrics.hpp"
#include "cnn/spec.hpp"
#include "cnn/trainer.hpp"
#include "cnn/weights_io.hpp"
#include "commands.hpp"
#include "history_io.hpp"
#include "progress_bar.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

struct TrainCliOptions {
    std::string spec = cnn::kSeedSpec;
    int epochs = 20;
    int batch = 64;
    double lr = 1e-3;
    std::string optimizer = "adam";
    double momentum = 0.9;
    std::uint64_t seed = 1;
    double validation_split = 0.1;
    int patience = 5;
    bool no_restore_best = false;
    int threads = 2;
    std::string train_images = kTrainImages, train_labels = kTrainLabels;
    std::string test_images = kTestImages, test_labels = kTestLabels;
    int limit = 0;
    double label_smoothing = 0.0;
    std::string output;
    std::string command_line;
};

// A signal handler can only reach globals; this one flag is the whole interface.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

// Ctrl-C asks training to stop between batches; a second Ctrl-C kills as usual (SA_RESETHAND).
class InterruptGuard {
public:
    InterruptGuard() {
        g_interrupted.store(false);
        struct sigaction sa {};
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGINT, &sa, &previous_);
    }
    ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    struct sigaction previous_ {};
};

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::json shape_json(const cnn::Shape& s) { return {s.h, s.w, s.c}; }

// Everything known before training; results are added when it ends.
nlohmann::json base_manifest(cnn::Model& model, const TrainCliOptions& o, int train_n, int val_n) {
    nlohmann::json m;
    m["format"] = "digit-cnn manifest";
    m["version"] = 1;
    m["weights"] = std::filesystem::path(o.output).filename().string();
    m["spec"] = model.spec();
    // What the input must look like: MNIST pixels in [0, 1], white ink on black, digit scaled into
    // 20x20 and centred by centre of mass in 28x28 (cnn::preprocess_digit for drawings).
    m["preprocessing"] = "mnist";
    m["input_shape"] = shape_json(model.input_shape());
    m["classes"] = model.classes();
    m["parameters"] = model.param_count();
    auto layers = nlohmann::json::array();
    const auto rows = model.summary();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        layers.push_back({{"name", row.name},
                          {"type", model.layer(i).kind()},
                          {"spec", row.spec},
                          {"output_shape", shape_json(row.output)},
                          {"params", row.params}});
    }
    m["layers"] = layers;
    m["test_accuracy"] = nullptr;
    m["test_loss"] = nullptr;
    nlohmann::json t;
    t["epochs"] = o.epochs;
    t["batch_size"] = o.batch;
    t["optimizer"] = o.optimizer;
    t["learning_rate"] = o.lr;
    if (o.optimizer == "sgd") t["momentum"] = o.momentum;
    t["validation_split"] = o.validation_split;
    t["patience"] = o.patience;
    t["restore_best"] = !o.no_restore_best;
    t["label_smoothing"] = o.label_smoothing;
    t["train_images"] = o.train_images;
    t["train_labels"] = o.train_labels;
    t["limit"] = o.limit;
    t["train_samples"] = train_n;
    t["validation_samples"] = val_n;
    m["training"] = t;
    m["threads"] = o.threads;
    m["seed"] = o.seed;
    m["command"] = o.command_line;
    m["date"] = utc_now();
    m["software"] = "digit-cnn 0.1.0";
    return m;
}

void add_results(nlohmann::json& m, const cnn::History& h, bool restore_best, double wall_seconds) {
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
    m["training_seconds"] = wall_seconds;
    m["images_per_second"] = seconds > 0 ? images / seconds : 0.0;  // training batches only
}

int run_train(const TrainCliOptions& o, bool momentum_given) {
    const std::string manifest_path = sibling_path(o.output, ".json");
    if (manifest_path == o.output)
        throw cnn::Error("--output '" + o.output +
                         "' would be overwritten by its own manifest; use a .dcnn name");
    if (momentum_given && o.optimizer != "sgd")
        warn("--momentum only applies to --optimizer sgd; ignoring it");
    ensure_parent_directory(o.output);

    // The Keras validation split is made here rather than inside the Trainer, so that the sample
    // counts are known for the manifest that the checkpoints carry.
    cnn::Dataset train, validation;
    {
        cnn::Dataset data = load_dataset(o.train_images, o.train_labels);
        if (o.limit > 0 && o.limit < data.n) data = cnn::slice(data, 0, o.limit);
        std::tie(train, validation) = cnn::split_validation(data, o.validation_split);
    }
    cnn::Model model = cnn::Model::from_spec(o.spec, o.seed);
    cnn::ThreadPool pool(o.threads);
    // Loaded before training so that a bad test file is reported now, not after an hour.
    cnn::Dataset test;
    if (file_exists(o.test_images) && file_exists(o.test_labels)) {
        test = load_dataset(o.test_images, o.test_labels, model.classes());
        if (test.shape != model.input_shape())
            throw cnn::Error("the test images are " + test.shape.str() + " but the model expects " +
                             model.input_shape().str());
    } else {
        warn("test set not found ('" + o.test_images + "', '" + o.test_labels +
             "'): there will be no test evaluation");
    }

    cnn::TrainOptions topt;
    topt.epochs = o.epochs;
    topt.batch_size = o.batch;
    topt.validation_split = 0.0;  // done above
    topt.patience = o.patience;
    topt.restore_best = !o.no_restore_best;
    topt.seed = o.seed;
    topt.optimizer = o.optimizer;
    topt.learning_rate = float(o.lr);
    topt.momentum = float(o.momentum);
    topt.label_smoothing = float(o.label_smoothing);
    topt.checkpoint_path = o.output;
    nlohmann::json manifest = base_manifest(model, o, train.n, validation.n);
    topt.checkpoint_metadata = manifest.dump();  // as known so far: no test results yet
    cnn::Trainer run(model, train, &validation, topt, &pool);

    const int val_n = run.validation_set() ? run.validation_set()->n : 0;
    std::cout << "Model: " << model.spec() << " (" << with_commas(model.param_count()) << " parameters)\n"
              << "Data: " << with_commas(std::size_t(run.train_set().n)) << " training images, "
              << (val_n ? with_commas(std::size_t(val_n)) + " for validation" : std::string("no validation"))
              << "; batch " << o.batch << ", " << o.optimizer << format(" lr %g", o.lr) << ", " << o.threads
              << " thread" << (o.threads == 1 ? "" : "s") << ", seed " << o.seed << "\n";
    if (val_n == 0)
        warn("no validation data: early stopping and the best checkpoint follow the training loss");
    std::cout.flush();

    ProgressBar bar;
    cnn::TrainCallbacks callbacks;
    callbacks.on_batch = [&](const cnn::Progress& p) { bar.on_batch(p); };
    callbacks.on_epoch = [&](const cnn::EpochStats& s) { bar.on_epoch(s, o.epochs); };
    const double t0 = cnn::now_seconds();
    {
        InterruptGuard guard;
        try {
            while (!run.done()) {
                if (g_interrupted.load()) {
                    bar.clear();
                    std::cerr << "Interrupted: stopping; the best model so far will be saved "
                                 "(Ctrl-C again to kill)"
                              << std::endl;
                    run.cancel();
                    break;
                }
                run.run(1, callbacks);
            }
        } catch (...) {
            bar.clear();
            throw;
        }
    }
    const double wall = cnn::now_seconds() - t0;
    const cnn::History& h = run.history();
    if (h.epochs.empty()) {
        std::cerr << "digit-cnn: training cancelled before the first epoch ended; nothing saved" << std::endl;
        return 130;
    }
    add_results(manifest, h, !o.no_restore_best, wall);
    const char* monitored = val_n ? "val_loss" : "loss";
    if (h.stopped_early)
        std::cout << "Early stopping: " << monitored << " did not improve for " << o.patience << " epoch"
                  << (o.patience == 1 ? "" : "s") << "\n";
    if (!o.no_restore_best && h.best_epoch > 0)
        std::cout << "Restored the weights of epoch " << h.best_epoch << " (best " << monitored << ")\n";

    if (test.n > 0) {
        const cnn::Evaluation ev = cnn::evaluate(model, test, &pool);
        manifest["test_accuracy"] = ev.accuracy;
        manifest["test_loss"] = ev.loss;
        manifest["test_images"] = ev.n;
        std::cout << format("Test: loss %.4f - accuracy %.4f (%s images)\n", ev.loss, ev.accuracy,
                            with_commas(std::size_t(ev.n)).c_str());
    }

    cnn::save_weights(o.output, model, manifest.dump());
    const std::string title =
        std::filesystem::path(o.output).filename().string() +
        (manifest["test_accuracy"].is_number()
             ? format(" - test accuracy %.2f%%", 100.0 * manifest["test_accuracy"].get<double>())
             : std::string());
    cnn::write_file_atomic(sibling_path(o.output, ".history.json"), history_json(h).dump(2) + "\n");
    cnn::write_file_atomic(sibling_path(o.output, ".history.csv"), history_csv(h));
    cnn::write_file_atomic(sibling_path(o.output, ".history.svg"), history_svg(h, title));
    cnn::write_file_atomic(manifest_path, manifest.dump(2) + "\n");
    std::cout << "Saved " << o.output << " (epoch " << manifest["weights_from_epoch"].get<int>() << ")\n"
              << "Wrote " << manifest_path << ", " << sibling_path(o.output, ".history.{json,csv,svg}")
              << "\n";
    return h.cancelled ? 130 : 0;
}

}  // namespace

Command add_train_command(CLI::App& app, const std::string& command_line) {
    auto o = std::make_shared<TrainCliOptions>();
    o->command_line = command_line;
    CLI::App* cmd =
        app.add_subcommand("train", "Train a model on MNIST (or any IDX data) and save its weights");
    cmd->add_option("--output,-o", o->output, "Weights file to write, e.g. weights/seed.dcnn")->required();
    cmd->add_option("--spec", o->spec, "Model spec (default: the seed model shown by 'digit-cnn summary')");
    cmd->add_option("--epochs", o->epochs, "Maximum number of epochs")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--batch", o->batch, "Batch size")->check(CLI::Range(1, 65536))->capture_default_str();
    cmd->add_option("--lr", o->lr, "Learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--optimizer", o->optimizer, "adam or sgd")
        ->check(CLI::IsMember({"adam", "sgd"}))
        ->capture_default_str();
    auto* momentum = cmd->add_option("--momentum", o->momentum, "SGD momentum")
                         ->check(CLI::Range(0.0, 0.999999))
                         ->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed for initialisation, shuffling and dropout")
        ->capture_default_str();
    cmd->add_option("--validation-split", o->validation_split,
                    "Fraction of the training data held out (the last part)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    cmd->add_option("--patience", o->patience,
                    "Early stopping: epochs without val_loss improvement (0 = off)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_flag("--no-restore-best", o->no_restore_best,
                  "Keep the last epoch's weights instead of the best");
    add_threads_option(cmd, o->threads);
    cmd->add_option("--train-images", o->train_images, "IDX training images (plain or .gz)")
        ->capture_default_str();
    cmd->add_option("--train-labels", o->train_labels, "IDX training labels")->capture_default_str();
    cmd->add_option("--test-images", o->test_images, "IDX test images, evaluated after training if present")
        ->capture_default_str();
    cmd->add_option("--test-labels", o->test_labels, "IDX test labels")->capture_default_str();
    cmd->add_option("--limit", o->limit, "Use only the first N training images (0 = all), for quick runs")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--label-smoothing", o->label_smoothing, "Label smoothing (Keras semantics)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    cmd->footer(
        "Writes the weights (best checkpoint during training, final model at the end) and next to it,\n"
        "for -o weights/seed.dcnn: weights/seed.json (manifest) and weights/seed.history.{json,csv,svg}.\n"
        "Ctrl-C stops between batches and still saves the best model (exit status 130).");
    return {cmd, [o, momentum] { return run_train(*o, momentum->count() > 0); }};
}

}  // namespace tools
