// `digit-cnn summary`: the Keras-style model table (Layer (type), Output Shape, Param #).
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/model/spec.hpp"
#include "commands.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

struct SummaryOptions {
    std::string spec;
    std::string weights;
};

// The Keras class name of a layer kind, so the table reads like the Keras report's.
std::string keras_type(const std::string& kind) {
    static const std::map<std::string, std::string> names = {
        {"conv", "Conv2D"}, {"maxpool", "MaxPooling2D"}, {"relu", "ReLU"},
        {"dense", "Dense"}, {"dropout", "Dropout"},      {"flatten", "Flatten"},
        {"batchnorm", "BatchNormalization"}, {"gap", "GlobalAveragePooling2D"},
        {"skip", "Skip"}, {"add", "Add"}};
    auto it = names.find(kind);
    return it == names.end() ? kind : it->second;
}

// "(None, 28, 28, 32)" for images, "(None, 128)" for vectors, as Keras prints them.
std::string keras_shape(const cnn::Shape& s, bool vector) {
    if (vector) return format("(None, %d)", s.c);
    return format("(None, %d, %d, %d)", s.h, s.w, s.c);
}

void print_table(cnn::Model& model, const std::string& title) {
    const std::size_t w1 = 29, w2 = 26, w3 = 10;
    const std::string thin(w1 + w2 + w3, '_'), thick(w1 + w2 + w3, '=');
    std::cout << "Model: \"" << title << "\"\n" << thin << "\n";
    std::cout << pad_right(" Layer (type)", w1) << pad_right("Output Shape", w2) << "Param #\n"
              << thick << "\n";
    const auto rows = model.summary();
    bool vector = false;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string kind = model.layer(i).kind();
        if (kind == "flatten" || kind == "dense" || kind == "gap") vector = true;
        const std::string name = " " + rows[i].name + " (" + keras_type(kind) + ")";
        std::cout << pad_right(name, w1 - 1) << " " << pad_right(keras_shape(rows[i].output, vector), w2)
                  << with_commas(rows[i].params) << "\n";
        std::cout << (i + 1 < rows.size() ? thin : thick) << "\n";
    }
    std::size_t trainable = 0, total = 0;
    for (const auto& p : model.params()) {
        total += p.size;
        if (p.trainable) trainable += p.size;
    }
    std::cout << "Total params: " << with_commas(total) << "\n"
              << "Trainable params: " << with_commas(trainable) << "\n"
              << "Non-trainable params: " << with_commas(total - trainable) << "\n"
              << thin << "\n";
}

// One line about how a weights file was trained, from its metadata, if it says.
void print_training_note(const std::string& metadata) {
    const auto meta = nlohmann::json::parse(metadata, nullptr, false);
    if (!meta.is_object()) return;
    if (meta.contains("test_accuracy") && meta["test_accuracy"].is_number())
        std::cout << format("Test accuracy: %.2f%%", 100.0 * meta["test_accuracy"].get<double>());
    else
        std::cout << "Test accuracy: not recorded";
    if (meta.contains("epochs_run") && meta["epochs_run"].is_number())
        std::cout << " (" << meta["epochs_run"].get<int>() << " epochs, best " << meta.value("best_epoch", 0)
                  << ")";
    if (meta.contains("preprocessing") && meta["preprocessing"].is_string())
        // Quoted: the text comes from a file that may come from anywhere (terminal escapes).
        std::cout << ", preprocessing: " << cnn::printable(meta["preprocessing"].get<std::string>(), 40);
    std::cout << "\n";
}

int run_summary(const SummaryOptions& o) {
    std::string metadata;
    cnn::Model model = o.weights.empty() ? cnn::Model::from_spec(o.spec.empty() ? cnn::kSeedSpec : o.spec)
                                         : load_model(o.weights, &metadata);
    std::cout << "Spec: " << model.spec() << "\n";
    if (!o.weights.empty()) {
        std::cout << "Weights: " << o.weights << "\n";
        print_training_note(metadata);
    }
    print_table(model,
                o.weights.empty() ? "digit-cnn" : std::filesystem::path(o.weights).filename().string());
    return 0;
}

}  // namespace

Command add_summary_command(CLI::App& app) {
    auto o = std::make_shared<SummaryOptions>();
    CLI::App* cmd = app.add_subcommand("summary", "Print the Keras-style layer table of a model");
    auto* spec = cmd->add_option("--spec", o->spec, "Model spec (default: the seed model)");
    cmd->add_option("--weights", o->weights, "Weights file whose model to describe")->excludes(spec);
    cmd->footer("Spec syntax: 'input 28x28x1 | conv 32 k4 same | relu | maxpool 2 | flatten | dense 10'.");
    return {cmd, [o] { return run_summary(*o); }};
}

}  // namespace tools
