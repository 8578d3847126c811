// `digit-cnn finetune`: teaches a model someone's handwriting from a few of their digits (an IDX
// pair, e.g. "Your digits" downloaded from the page), replaying MNIST training digits so that it
// does not forget the rest. Writes a new weights file whose metadata records its lineage.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/reject.hpp"
#include "cnn/training/finetune.hpp"
#include "commands.hpp"
#include "finetune_flags.hpp"
#include "model_input.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

struct FinetuneCliOptions {
    std::string weights, images, labels, output;
    std::string replay_images = kTrainImages;
    std::string replay_labels = kTrainLabels;
    std::string test_images = kTestImages;
    std::string test_labels = kTestLabels;
    std::string negative_images, negative_labels;  // a second replay pool, e.g. "not a digit" drawings
    bool no_replay = false;
    bool as_gate = false;  // core's settings for a "not a digit" gate (gate_fine_tune_options)
    bool json = false;
    int threads = 2;
    cnn::FineTuneOptions tune;
};

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

// The base model's metadata with one more step of lineage. Its other fields (preprocessing, the
// reject rule, the training manifest) still describe the adapted model's input and output.
nlohmann::json with_lineage(const std::string& base_metadata, const std::string& base, int examples,
                            const cnn::FineTuneOptions& o) {
    nlohmann::json m = nlohmann::json::parse(base_metadata.empty() ? "{}" : base_metadata, nullptr, false);
    if (!m.is_object()) m = nlohmann::json::object();
    if (!m["lineage"].is_array()) m["lineage"] = nlohmann::json::array();
    m["lineage"].push_back({{"base", base}, {"examples", examples}, {"settings", cnn::describe(o)}, {"date", utc_now()}});
    return m;
}

int run_finetune(const FinetuneCliOptions& cli) {
    FinetuneCliOptions o = cli;
    if (o.as_gate) o.tune = cnn::gate_fine_tune_options(o.tune);
    if (o.output == o.weights)
        throw cnn::Error("--output is the base model '" + o.weights + "': write the adapted model elsewhere, so the base stays");
    cnn::LoadedModel loaded = open_model(o.weights);
    cnn::Model& model = loaded.model();
    const std::string& metadata = loaded.metadata();
    cnn::Dataset mine = load_dataset(o.images, o.labels, model.classes());
    cnn::Dataset replay;
    replay.shape = model.input_shape();
    if (!o.no_replay) replay = load_replay(o.replay_images, o.replay_labels, model.classes());
    cnn::Dataset negatives;
    negatives.shape = model.input_shape();
    if (!o.negative_images.empty())
        negatives = load_dataset(o.negative_images, o.negative_labels, model.classes(), cnn::PixelStorage::Bytes);
    loaded.prepare(mine);
    if (!o.no_replay) loaded.prepare(replay);
    if (negatives.n > 0) loaded.prepare(negatives);
    ensure_parent_directory(o.output);

    cnn::ThreadPool pool(o.threads);
    const cnn::FineTuneResult r = cnn::fine_tune(model, mine, replay, negatives, o.tune, &pool);
    nlohmann::json meta = with_lineage(metadata, o.weights, mine.n, o.tune);
    // The base's test figures are not the adapted model's: measured again, or dropped.
    meta.erase("test_accuracy");
    meta.erase("test_loss");
    double test_accuracy = -1;
    if (file_exists(o.test_images) && file_exists(o.test_labels)) {
        const cnn::Evaluation ev = loaded.evaluate(load_dataset(o.test_images, o.test_labels, model.classes()), &pool);
        meta["test_accuracy"] = test_accuracy = ev.accuracy;
        meta["test_loss"] = ev.loss;
    } else {
        warn("no MNIST test file at '" + o.test_images + "': the adapted model's test accuracy is not measured");
    }
    cnn::save_weights(o.output, model, meta.dump());
    cnn::write_file_atomic(sibling_path(o.output, ".json"), meta.dump(1) + "\n");

    if (o.json) {
        std::cout << nlohmann::json{{"weights", o.weights},
                                    {"output", o.output},
                                    {"examples", mine.n},
                                    {"replay", replay.n},
                                    {"negatives", negatives.n},
                                    {"settings", cnn::describe(o.tune)},
                                    {"examples_right_before", r.examples_right_before},
                                    {"examples_right_after", r.examples_right_after},
                                    {"first_loss", r.first_loss},
                                    {"last_loss", r.last_loss},
                                    {"seconds", r.seconds},
                                    {"test_accuracy", test_accuracy >= 0 ? nlohmann::json(test_accuracy) : nlohmann::json()}}
                         .dump()
                  << "\n";
        return 0;
    }
    std::cout << "Base:      " << o.weights << "\n"
              << "Examples:  " << mine.n << " (" << o.images << ")\n"
              << "Replay:    " << with_commas(std::size_t(replay.n)) << " training images ("
              << with_commas(std::size_t(std::count(replay.labels.begin(), replay.labels.end(), std::uint8_t(cnn::kNotDigitClass))))
              << " of them \"not a digit\")\n"
              << (negatives.n > 0 ? "Negatives: " + with_commas(std::size_t(negatives.n)) + " (" + o.negative_images + "), " +
                                        std::to_string(o.tune.negatives_per_batch) + " in every batch\n"
                                  : std::string())
              << "Settings:  " << cnn::describe(o.tune) << "\n"
              << format("Read right before: %d / %d, after: %d / %d\n", r.examples_right_before, mine.n,
                        r.examples_right_after, mine.n)
              << format("Loss: %.4f -> %.4f in %.1f s\n", r.first_loss, r.last_loss, r.seconds)
              << (test_accuracy >= 0 ? format("Test accuracy after: %.2f%% (%s)\n", 100 * test_accuracy, o.test_images.c_str()) : "")
              << "Wrote " << o.output << " and " << sibling_path(o.output, ".json") << "\n";
    return 0;
}

}  // namespace

Command add_finetune_command(CLI::App& app) {
    auto o = std::make_shared<FinetuneCliOptions>();
    CLI::App* cmd = app.add_subcommand(
        "finetune", "Teach a model your handwriting from a few of your digits, without forgetting MNIST");
    cmd->add_option("--weights", o->weights, "The model to adapt (kept unchanged)")->required();
    cmd->add_option("--images", o->images, "Your digits: IDX images (28x28, as the page's \"Your digits\" downloads them)")
        ->required();
    cmd->add_option("--labels", o->labels, "Their labels (IDX)")->required();
    cmd->add_option("--output", o->output, "Where to write the adapted model (with its lineage in the metadata)")
        ->required();
    auto* ri = cmd->add_option("--replay-images", o->replay_images, "MNIST training images to replay")->capture_default_str();
    auto* rl = cmd->add_option("--replay-labels", o->replay_labels, "Their labels")->capture_default_str();
    cmd->add_option("--test-images", o->test_images, "MNIST test images, read after adapting (skipped if absent)")->capture_default_str();
    cmd->add_option("--test-labels", o->test_labels, "Their labels")->capture_default_str();
    auto* ni = cmd->add_option("--negative-images", o->negative_images,
                               "A second replay pool drawn at a fixed share of each batch (--negatives-per-batch), e.g. "
                               "drawings that are not a digit (label 10) so that a model with an eleventh output keeps "
                               "rejecting them ('digit-cnn reject --write' makes them)");
    auto* nl = cmd->add_option("--negative-labels", o->negative_labels, "Their labels");
    ni->needs(nl);
    nl->needs(ni);
    cmd->add_flag("--no-replay", o->no_replay, "Train on your examples alone (the model forgets more)")->excludes(ri)->excludes(rl);
    add_finetune_options(cmd, o->tune);
    cmd->add_flag("--as-gate", o->as_gate,
                  "Adapt a \"not a digit\" gate as the page adapts it beside its reader (core's gate settings: "
                  "negatives in every batch, no blend toward the base); needs --negative-images")
        ->needs(ni)
        ->excludes(cmd->get_option("--negatives-per-batch"))
        ->excludes(cmd->get_option("--blend"));
    cmd->add_flag("--json", o->json, "Machine-readable output");
    add_threads_option(cmd, o->threads);
    return {cmd, [o] { return run_finetune(*o); }};
}

}  // namespace tools
