// `digit-cnn train`: fit a model on IDX data with progress output, save the best weights, the
// history (JSON, CSV, SVG figure) and a manifest describing how the weights were made.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "augment_schedule_flags.hpp"
#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/reject.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/model/warm_start.hpp"
#include "cnn/training/manifest.hpp"
#include "cnn/training/trainer.hpp"
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
    bool deskew = false;  // train (and test) on deskewed digits; recorded as "mnist+deskew"
    AugmentScheduleFlags augment_schedule;
    std::string output;
    std::string resume;   // checkpoint to continue from
    int max_batches = 0;  // stop (resumably) after this many batches; 0 = no limit
    std::string negatives;  // folder with negatives-{train,val} IDX files (class 10: not a digit)
    std::vector<std::string> teachers;  // models whose mean predictions are mixed into the targets
    double distill = 0.0;               // their weight in the target
    int average_from = 0;               // weight averaging from this epoch (0 = off)
    std::string init;                   // start from this model's weights (warm start)
    std::string command_line;
};

// The options a run records in its resumable checkpoint, by flag name. A resumed run takes them
// all from there; those that shape the trajectory must not be given with other values. The data
// paths may change (Trainer::restore compares the data's checksums), and so may the rest.
struct RecordedOption {
    const char* flag;
    bool locked;
};
const RecordedOption kRecordedOptions[] = {
    {"spec", true}, {"batch", true}, {"lr", true}, {"optimizer", true}, {"momentum", true}, {"seed", true},
    {"validation-split", true}, {"patience", true}, {"no-restore-best", true}, {"limit", true},
    {"label-smoothing", true}, {"deskew", true}, {"negatives", true}, {"teacher", true}, {"distill", true}, {"average-from", true}, {"init", true}, {"epochs", false}, {"threads", false}, {"train-images", false},
    {"train-labels", false}, {"test-images", false}, {"test-labels", false}, {"output", false},
};

// The table above and the augmentation and schedule flags, which all shape the trajectory.
std::vector<RecordedOption> recorded_options() {
    std::vector<RecordedOption> all(std::begin(kRecordedOptions), std::end(kRecordedOptions));
    for (const std::string& flag : augment_schedule_flag_names()) all.push_back({flag.c_str(), true});
    return all;
}

nlohmann::json options_json(const TrainCliOptions& o) {
    nlohmann::json j = {{"spec", o.spec}, {"batch", o.batch}, {"lr", o.lr}, {"optimizer", o.optimizer},
            {"momentum", o.momentum}, {"seed", o.seed}, {"validation-split", o.validation_split},
            {"patience", o.patience}, {"no-restore-best", o.no_restore_best}, {"limit", o.limit},
            {"label-smoothing", o.label_smoothing}, {"deskew", o.deskew}, {"negatives", o.negatives}, {"teacher", o.teachers}, {"distill", o.distill}, {"average-from", o.average_from}, {"init", o.init}, {"epochs", o.epochs}, {"threads", o.threads},
            {"train-images", o.train_images}, {"train-labels", o.train_labels},
            {"test-images", o.test_images}, {"test-labels", o.test_labels}, {"output", o.output}};
    j.update(augment_schedule_json(o.augment_schedule));
    return j;
}

void set_option(TrainCliOptions& o, const std::string& flag, const nlohmann::json& v) {
    if (flag == "spec") o.spec = v.get<std::string>();
    else if (flag == "batch") o.batch = v.get<int>();
    else if (flag == "lr") o.lr = v.get<double>();
    else if (flag == "optimizer") o.optimizer = v.get<std::string>();
    else if (flag == "momentum") o.momentum = v.get<double>();
    else if (flag == "seed") o.seed = v.get<std::uint64_t>();
    else if (flag == "validation-split") o.validation_split = v.get<double>();
    else if (flag == "patience") o.patience = v.get<int>();
    else if (flag == "no-restore-best") o.no_restore_best = v.get<bool>();
    else if (flag == "limit") o.limit = v.get<int>();
    else if (flag == "label-smoothing") o.label_smoothing = v.get<double>();
    else if (flag == "deskew") o.deskew = v.get<bool>();
    else if (flag == "negatives") o.negatives = v.get<std::string>();
    else if (flag == "teacher") o.teachers = v.get<std::vector<std::string>>();
    else if (flag == "distill") o.distill = v.get<double>();
    else if (flag == "average-from") o.average_from = v.get<int>();
    else if (flag == "init") o.init = v.get<std::string>();
    else if (flag == "epochs") o.epochs = v.get<int>();
    else if (flag == "threads") o.threads = v.get<int>();
    else if (flag == "train-images") o.train_images = v.get<std::string>();
    else if (flag == "train-labels") o.train_labels = v.get<std::string>();
    else if (flag == "test-images") o.test_images = v.get<std::string>();
    else if (flag == "test-labels") o.test_labels = v.get<std::string>();
    else if (flag == "output") o.output = v.get<std::string>();
    else set_augment_schedule_flag(o.augment_schedule, flag, v);
}

// Fills `o` from the checkpoint's recorded options; `given` holds the flags on the command line.
void apply_recorded_options(const std::string& path, const std::string& metadata, TrainCliOptions& o,
                            const std::set<std::string>& given) {
    const nlohmann::json meta = nlohmann::json::parse(metadata, nullptr, false);
    if (meta.is_discarded() || !meta.is_object() || !meta.contains("options") || !meta["options"].is_object())
        throw cnn::Error("'" + path + "' does not record the options of a 'digit-cnn train' run");
    const nlohmann::json& recorded = meta["options"];
    const nlohmann::json current = options_json(o);
    for (const auto& opt : recorded_options()) {
        if (!recorded.contains(opt.flag))
            throw cnn::Error("'" + path + "' does not record --" + opt.flag + " (made by another version?)");
        const nlohmann::json& v = recorded[opt.flag];
        if (given.count(opt.flag)) {
            if (opt.locked && current[opt.flag] != v)
                throw cnn::Error("--" + std::string(opt.flag) + " " + current[opt.flag].dump() +
                                 " differs from the resumed run's " + v.dump() +
                                 "; a resumed run keeps the options it started with (start a new run to change it)");
            continue;
        }
        try {
            set_option(o, opt.flag, v);
        } catch (const nlohmann::json::exception&) {
            throw cnn::Error("'" + path + "' records an unusable --" + opt.flag + " " + v.dump());
        }
    }
}

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

cnn::InputPreprocessing input_preprocessing(const TrainCliOptions& o) {
    return o.deskew ? cnn::InputPreprocessing::mnist_deskew : cnn::InputPreprocessing::mnist;
}

// Core's manifest (training/manifest.hpp) with what only the command line knows.
nlohmann::json cli_manifest(cnn::Model& model, const TrainCliOptions& o, const cnn::TrainOptions& topt, int train_n,
                            int val_n) {
    nlohmann::json m = cnn::training_manifest(model, topt, input_preprocessing(o), train_n, val_n);
    m["weights"] = std::filesystem::path(o.output).filename().string();
    nlohmann::json& t = m["training"];
    t["validation_split"] = o.validation_split;  // the Trainer is given the split made here
    t["learning_rate"] = o.lr;
    t["train_images"] = o.train_images;
    t["train_labels"] = o.train_labels;
    t["limit"] = o.limit;
    m["threads"] = o.threads;
    m["command"] = o.command_line;
    m["date"] = utc_now();
    m["software"] = "digit-cnn 0.1.0";
    if (!o.resume.empty()) m["resumed_from"] = o.resume;
    if (o.distill > 0) t["distillation"] = {{"weight", o.distill}, {"teachers", o.teachers}};
    if (o.average_from > 0) t["weight_averaging"] = {{"from_epoch", o.average_from}};
    if (!o.init.empty()) t["init"] = o.init;
    return m;
}

// Where a run writes, next to --output; refused now if they clash or --output is not writable,
// rather than at the first checkpoint after an epoch of training.
struct OutputPaths {
    std::string manifest, resume;
};

OutputPaths check_output_paths(const TrainCliOptions& o) {
    const OutputPaths paths{sibling_path(o.output, ".json"), sibling_path(o.output, ".resume")};
    if (paths.resume == o.output)
        throw cnn::Error("--output '" + o.output +
                         "' would be overwritten by its own resume checkpoint; use a .dcnn name");
    if (paths.manifest == o.output)
        throw cnn::Error("--output '" + o.output +
                         "' would be overwritten by its own manifest; use a .dcnn name");
    ensure_parent_directory(o.output);
    cnn::check_writable(o.output);
    return paths;
}

// The training file's Keras split (made here rather than inside the Trainer, so that the sample
// counts are known for the manifest that the checkpoints carry), as the model takes it; with
// --negatives, drawings that are not a digit join both halves as class 10.
std::pair<cnn::Dataset, cnn::Dataset> load_training_split(const TrainCliOptions& o, const cnn::Model& model) {
    cnn::Dataset train, validation;
    {
        // Bytes: a quarter of the memory of floats (60,000 images: 47 instead of 188 MB).
        cnn::Dataset data = load_dataset(o.train_images, o.train_labels, 10, cnn::PixelStorage::Bytes);
        std::tie(train, validation) = cnn::split_first(data, std::min(o.limit, data.n), o.validation_split);
        cnn::apply_input_preprocessing(input_preprocessing(o), train);
        cnn::apply_input_preprocessing(input_preprocessing(o), validation);
    }
    if (o.negatives.empty()) {
        // Checked again by the Trainer; here the message can name the flag an 11-output model needs.
        try {
            cnn::check_model_output(model, train.classes);
        } catch (const cnn::Error& e) {
            if (model.classes() != cnn::kNotDigitClass + 1) throw;
            throw cnn::Error(std::string(e.what()) + " (an eleventh output, \"not a digit\", is learnt with --negatives)");
        }
        return {std::move(train), std::move(validation)};
    }
    if (model.classes() != cnn::kNotDigitClass + 1)
        throw cnn::Error("--negatives needs a model with 11 outputs (ten digits and \"not a digit\"), "
                         "e.g. a spec ending in '| dense 11'; this one has " + std::to_string(model.classes()));
    // Training's own part joins the training data, the validation half the validation data (the
    // sets use different fonts).
    for (auto [half, data] : {std::pair{"train", &train}, std::pair{"val", &validation}}) {
        const std::string base = o.negatives + "/negatives-" + half;
        cnn::Dataset neg = load_dataset(base + "-images-idx3-ubyte", base + "-labels-idx1-ubyte", model.classes(),
                                        cnn::PixelStorage::Bytes);
        cnn::apply_input_preprocessing(input_preprocessing(o), neg);
        *data = cnn::concat(*data, neg);
    }
    return {std::move(train), std::move(validation)};
}

// The test set as the model takes it, loaded before training so that a bad file is reported
// now, not after an hour; empty (with a warning) if the files are not there.
cnn::Dataset load_test_set(const TrainCliOptions& o, const cnn::Model& model, int classes) {
    if (!file_exists(o.test_images) || !file_exists(o.test_labels)) {
        warn("test set not found ('" + o.test_images + "', '" + o.test_labels +
             "'): there will be no test evaluation");
        return {};
    }
    cnn::Dataset test = load_dataset(o.test_images, o.test_labels, classes, cnn::PixelStorage::Bytes);
    cnn::apply_input_preprocessing(input_preprocessing(o), test);
    if (test.shape != model.input_shape())
        throw cnn::Error("the test images are " + test.shape.str() + " but the model expects " +
                         model.input_shape().str());
    return test;
}

// The --teacher models, checked to read their input as the trained model will, and handed to the
// trainer (topt.teachers points into the returned vector).
std::vector<cnn::LoadedModel> open_teachers(const TrainCliOptions& o, cnn::TrainOptions& topt) {
    if (!o.teachers.empty() && o.distill <= 0)
        throw cnn::Error("--teacher needs --distill W, the teachers' weight in the target (e.g. 0.5)");
    std::vector<cnn::LoadedModel> teachers;
    for (const std::string& path : o.teachers) {
        teachers.push_back(open_model(path));
        if (teachers.back().input() != input_preprocessing(o))
            throw cnn::Error("the teacher " + path + " reads its input as '" +
                             cnn::input_preprocessing_name(teachers.back().input()) + "' but this run as '" +
                             cnn::input_preprocessing_name(input_preprocessing(o)) + "'");
    }
    for (cnn::LoadedModel& t : teachers) topt.teachers.push_back(&t.model());
    return teachers;
}

cnn::TrainOptions trainer_options(const TrainCliOptions& o) {
    cnn::TrainOptions t;
    t.epochs = o.epochs;
    t.batch_size = o.batch;
    t.validation_split = 0.0;  // made by load_training_split
    t.patience = o.patience;
    t.restore_best = !o.no_restore_best;
    t.seed = o.seed;
    t.optimizer = o.optimizer;
    t.learning_rate = float(o.lr);
    t.momentum = float(o.momentum);
    t.label_smoothing = float(o.label_smoothing);
    t.distill_weight = float(o.distill);
    t.average_from = o.average_from;
    apply_augment_schedule(o.augment_schedule, o.lr, t);
    // A deskewing model's training digits are deskewed once as read, and again after each
    // distortion, which would otherwise skew them anew.
    t.augment.deskew = o.deskew;
    t.checkpoint_path = o.output;
    return t;
}

void print_run_header(const TrainCliOptions& o, cnn::Model& model, const cnn::Trainer& run,
                      const cnn::TrainOptions& t) {
    const int val_n = run.validation_set() ? run.validation_set()->n : 0;
    std::cout << "Model: " << model.spec() << " (" << with_commas(model.param_count()) << " parameters)\n"
              << "Data: " << with_commas(std::size_t(run.train_set().n)) << " training images, "
              << (val_n ? with_commas(std::size_t(val_n)) + " for validation" : std::string("no validation"))
              << "; batch " << o.batch << ", " << o.optimizer << format(" lr %g", o.lr) << ", " << o.threads
              << " thread" << (o.threads == 1 ? "" : "s") << ", seed " << o.seed << "\n";
    if (t.lr_schedule.decay != cnn::LrDecay::Constant || t.lr_schedule.warmup_epochs > 0)
        std::cout << "Learning rate: " << cnn::describe(t.lr_schedule, t.epochs) << "\n";
    if (t.augment_enabled) std::cout << "Augmentation: " << cnn::describe(t.augment) << "\n";
    if (t.distill_weight > 0) {
        std::cout << format("Distillation: weight %g from the mean of", double(t.distill_weight));
        for (const std::string& path : o.teachers) std::cout << " " << path;
        std::cout << "\n";
    }
    if (val_n == 0) warn("no validation data: early stopping and the best checkpoint follow the training loss");
    std::cout.flush();
}

// Trains batch by batch until the run is done, Ctrl-C or --max-batches (then the resume file is
// written and the model holds the best weights). At each epoch end the resume file is written,
// so that a crash or a kill loses at most one epoch. Returns true if --max-batches stopped it.
// A failure (divergence, a failed write) is rethrown with what is still on disk.
bool train_until_done(const TrainCliOptions& o, cnn::Trainer& run, const std::string& resume_path,
                      const std::function<void()>& save_resume) {
    ProgressBar bar;
    cnn::TrainCallbacks callbacks;
    callbacks.on_batch = [&](const cnn::Progress& p) { bar.on_batch(p); };
    callbacks.on_epoch = [&](const cnn::EpochStats& s) { bar.on_epoch(s, o.epochs); };
    // On failure, --output counts as this run's best weights only if this run wrote it.
    const auto written_at = [](const std::string& path) {
        std::error_code ec;
        const auto t = std::filesystem::last_write_time(path, ec);
        return ec ? std::filesystem::file_time_type::min() : t;
    };
    const auto output_before = written_at(o.output);
    InterruptGuard guard;
    int batches = 0;
    std::size_t epochs_done = run.history().epochs.size();
    try {
        while (!run.done()) {
            if (g_interrupted.load() || (o.max_batches > 0 && batches == o.max_batches)) {
                bar.clear();
                // Saved before cancel(), which puts the best weights back into the model.
                save_resume();
                const bool stopped = !g_interrupted.load();
                if (stopped)
                    std::cout << "Stopped after " << batches << " batch" << (batches == 1 ? "" : "es")
                              << " (--max-batches); continue with: digit-cnn train --resume " << resume_path
                              << std::endl;
                else
                    std::cerr << "Interrupted: stopping; the best model so far will be saved, and the run "
                                 "can continue with: digit-cnn train --resume "
                              << resume_path << " (Ctrl-C again to kill)" << std::endl;
                run.cancel();
                return stopped;
            }
            run.run(1, callbacks);
            ++batches;
            if (run.history().epochs.size() != epochs_done && !run.done()) {
                epochs_done = run.history().epochs.size();
                save_resume();
            }
        }
    } catch (const cnn::Error& e) {
        bar.clear();
        // The checkpoints were only written while everything was finite: the last good ones.
        std::string kept;
        if (written_at(o.output) != output_before)
            kept += "the best weights so far are in '" + o.output + "'";
        else if (file_exists(o.output))
            kept += "'" + o.output + "' is unchanged (written before this run)";
        if (file_exists(resume_path))
            kept += std::string(kept.empty() ? "" : ", ") + "the last epoch's state is in '" + resume_path + "'";
        throw cnn::Error(std::string(e.what()) + (kept.empty() ? "" : "; " + kept));
    } catch (...) {
        bar.clear();
        throw;
    }
    return false;
}

// The trained weights with their manifest, and the history as JSON, CSV and SVG.
void save_results(const TrainCliOptions& o, cnn::Model& model, const cnn::History& h,
                  const nlohmann::json& manifest, const std::string& manifest_path) {
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
    const std::string from = manifest.contains("averaged_epochs")
                                 ? "mean of epochs " + std::to_string(manifest["averaged_epochs"][0].get<int>()) + "-" +
                                       std::to_string(manifest["averaged_epochs"][1].get<int>())
                                 : "epoch " + std::to_string(manifest["weights_from_epoch"].get<int>());
    std::cout << "Saved " << o.output << " (" << from << ")\n"
              << "Wrote " << manifest_path << ", " << sibling_path(o.output, ".history.{json,csv,svg}") << "\n";
}

int run_train(TrainCliOptions o, const std::set<std::string>& given) {
    // A resumed run: the model, its trainer state and the run's options come from the checkpoint.
    cnn::Checkpoint resumed;
    if (!o.resume.empty()) {
        if (!file_exists(o.resume))
            throw cnn::Error("resume checkpoint '" + o.resume + "' does not exist (training writes it next to "
                             "--output, e.g. weights/seed.resume)");
        resumed = cnn::load_checkpoint(o.resume);
        apply_recorded_options(o.resume, resumed.metadata, o, given);
    }
    if (given.count("momentum") > 0 && o.optimizer != "sgd")
        warn("--momentum only applies to --optimizer sgd; ignoring it");
    const OutputPaths paths = check_output_paths(o);

    std::string warm;  // what --init copied
    if (o.resume.empty() && !o.init.empty()) {
        cnn::LoadedModel start = open_model(o.init);
        if (start.input() != input_preprocessing(o))
            throw cnn::Error("the --init model " + o.init + " reads its input as '" +
                             cnn::input_preprocessing_name(start.input()) + "' but this run as '" +
                             cnn::input_preprocessing_name(input_preprocessing(o)) + "'");
        if (given.count("spec") == 0) o.spec = start.model().spec();
        resumed.model = cnn::Model::from_spec(o.spec, o.seed);
        warm = cnn::warm_start(resumed.model, start.model());
        std::cout << "Starting from " << o.init << ": " << warm << "\n";
    }
    cnn::Model model = o.resume.empty() && o.init.empty() ? cnn::Model::from_spec(o.spec, o.seed)
                                                          : std::move(resumed.model);
    auto [train, validation] = load_training_split(o, model);
    const cnn::Dataset test = load_test_set(o, model, train.classes);
    cnn::ThreadPool pool(o.threads);
    cnn::TrainOptions topt = trainer_options(o);
    const std::vector<cnn::LoadedModel> teachers = open_teachers(o, topt);
    nlohmann::json manifest = cli_manifest(model, o, topt, train.n, validation.n);
    topt.checkpoint_metadata = manifest.dump();  // as known so far: no results yet
    cnn::Trainer run(model, train, &validation, topt, &pool);
    if (!o.resume.empty()) {
        std::cout << "Resuming " << o.resume << " at epoch " << resumed.state.progress.epoch + 1 << ", batch "
                  << resumed.state.progress.batch + 1 << "\n";
        run.restore(resumed.state);
        resumed.state = {};
    }
    // What a later --resume needs besides the model and the trainer state.
    const std::string resume_metadata = nlohmann::json{{"options", options_json(o)}}.dump();
    const auto save_resume = [&] { cnn::save_checkpoint(paths.resume, model, run.state(), resume_metadata); };
    print_run_header(o, model, run, topt);

    const double t0 = cnn::now_seconds();
    const bool stopped = train_until_done(o, run, paths.resume, save_resume);
    const cnn::History& h = run.history();
    if (h.epochs.empty()) {
        std::cerr << "digit-cnn: no epoch has ended yet, so there are no weights to save; the run can continue "
                     "with: digit-cnn train --resume "
                  << paths.resume << std::endl;
        return stopped ? 0 : 130;
    }
    cnn::add_run_results(manifest, h, !o.no_restore_best);
    manifest["training_seconds"] = cnn::now_seconds() - t0;
    const char* monitored = validation.n ? "val_loss" : "loss";
    if (h.stopped_early)
        std::cout << "Early stopping: " << monitored << " did not improve for " << o.patience << " epoch"
                  << (o.patience == 1 ? "" : "s") << "\n";
    if (!o.no_restore_best && h.best_epoch > 0)
        std::cout << "Restored the weights of epoch " << h.best_epoch << " (best " << monitored << ")\n";
    if (h.averaged.last_epoch > 0) {
        std::cout << "Averaged the weights of epochs " << h.averaged.first_epoch << "-" << h.averaged.last_epoch
                  << " (batch norm statistics recomputed)";
        if (h.averaged.has_validation)
            std::cout << format(": val_loss %.4f - val_accuracy %.4f", h.averaged.val_loss, h.averaged.val_accuracy);
        std::cout << "\n";
    }
    if (test.n > 0) {
        const cnn::Evaluation ev = cnn::evaluate(model, test, &pool);
        cnn::add_test_results(manifest, ev);
        std::cout << format("Test: loss %.4f - accuracy %.4f (%s images)\n", ev.loss, ev.accuracy,
                            with_commas(std::size_t(ev.n)).c_str());
    }
    save_results(o, model, h, manifest, paths.manifest);
    if (!h.cancelled) {
        // The run is complete: nothing left to resume.
        std::error_code ec;
        std::filesystem::remove(paths.resume, ec);
    }
    return h.cancelled && !stopped ? 130 : 0;
}

}  // namespace

Command add_train_command(CLI::App& app, const std::string& command_line) {
    auto o = std::make_shared<TrainCliOptions>();
    o->command_line = command_line;
    CLI::App* cmd =
        app.add_subcommand("train", "Train a model on MNIST (or any IDX data) and save its weights");
    auto* output = cmd->add_option("--output,-o", o->output, "Weights file to write, e.g. weights/seed.dcnn");
    cmd->add_option("--spec", o->spec, "Model spec (default: the seed model shown by 'digit-cnn summary')");
    cmd->add_option("--epochs", o->epochs, "Maximum number of epochs")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--batch", o->batch, "Batch size")->check(CLI::Range(1, 65536))->capture_default_str();
    cmd->add_option("--lr", o->lr, "Learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("--optimizer", o->optimizer, "adam or sgd")
        ->check(CLI::IsMember({"adam", "sgd"}))
        ->capture_default_str();
    cmd->add_option("--momentum", o->momentum, "SGD momentum")
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
    cmd->add_option("--teacher", o->teachers,
                    "Distillation: a trained model (repeat for several) whose mean prediction on each "
                    "augmented batch is mixed into the targets; needs --distill")
        ->check(CLI::ExistingFile);
    cmd->add_option("--distill", o->distill, "Distillation: the teachers' weight in the target, in (0, 1]")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_flag("--deskew", o->deskew,
                  "Deskew every digit (moment-based shear) for training and test; the weights record "
                  "\"mnist+deskew\" so predict and evaluate deskew their inputs too");
    add_augment_schedule_flags(cmd, o->augment_schedule);
    cmd->add_option("--resume", o->resume,
                    "Continue the run saved in this checkpoint (e.g. weights/seed.resume) with its options; "
                    "--epochs, --threads, --output and the data paths may change");
    cmd->add_option("--negatives", o->negatives,
                    "Folder with negatives-{train,val}-{images-idx3,labels-idx1}-ubyte (made by 'digit-cnn "
                    "reject --write'): drawings that are not a digit, learnt as an eleventh output");
    cmd->add_option("--max-batches", o->max_batches,
                    "Stop after this many batches, saving a checkpoint to continue from with --resume")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--average-from", o->average_from,
                    "Weight averaging: end with the mean of the weights at the ends of this and every later "
                    "epoch, batch norm statistics recomputed (needs --no-restore-best; 0 = off)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--init", o->init,
                    "Start from this model's weights instead of a fresh initialisation (its spec unless --spec "
                    "is given; the last dense layer may be wider, e.g. dense 11 for 'not a digit' from a "
                    "ten-digit model: the new outputs start fresh)");
    cmd->footer(
        "Writes the weights (best checkpoint during training, final model at the end) and next to it,\n"
        "for -o weights/seed.dcnn: weights/seed.json (manifest) and weights/seed.history.{json,csv,svg}.\n"
        "While training, weights/seed.resume holds the state at the last epoch end, to continue an\n"
        "interrupted run exactly with --resume; it is removed when the run completes.\n"
        "Ctrl-C stops between batches, saves the best model and the resume state (exit status 130).");
    return {cmd, [o, cmd, output] {
                if (o->resume.empty() && output->count() == 0)
                    throw cnn::Error("--output is required (or --resume to continue a run)");
                std::set<std::string> given;
                for (const CLI::Option* opt : cmd->get_options())
                    if (opt->count() > 0) given.insert(opt->get_name().substr(opt->get_name().find_first_not_of('-')));
                return run_train(*o, given);
            }};
}

}  // namespace tools
