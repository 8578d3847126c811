// `digit-cnn evaluate`: loss, accuracy, per-class accuracy and the confusion matrix of a weights
// file on an IDX data set, or on a folder of labelled image files (photos or drawings). Inputs get
// the input preprocessing the weights file records (e.g. deskewing), as in training.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/model/metrics.hpp"
#include "commands.hpp"
#include "image_io.hpp"
#include "model_input.hpp"
#include "text_format.hpp"

namespace fs = std::filesystem;

namespace tools {

namespace {

struct EvaluateOptions {
    std::string weights;
    std::string images = kTestImages;
    std::string labels = kTestLabels;
    std::string folder;
    bool json = false;
    int threads = 2;
    Cleanup cleanup = Cleanup::photo;
};

bool is_image_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (const char* e : {".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm", ".bmp", ".gif"})
        if (ext == e) return true;
    return false;
}

// Images named "<label>_anything.png", each through the photo cleanup (or canvas reading) and the
// drawn-digit preprocessing. Files without a leading digit label or without ink are skipped
// (listed in `skipped`).
cnn::Dataset load_folder(const std::string& dir, const cnn::Model& model, Cleanup cleanup,
                         std::vector<std::string>& skipped) {
    const cnn::Shape in = model.input_shape();
    if (in.h != in.w || in.c != 1)
        throw cnn::Error("this model takes " + in.str() + " images; --folder needs a square grayscale model");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw cnn::Error("'" + dir + "' is not a directory");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
    if (ec) throw cnn::Error("cannot list '" + dir + "': " + ec.message());
    std::sort(files.begin(), files.end());

    const cnn::PreprocessOptions pre = cnn::mnist_options(in.h);
    cnn::Dataset d;
    d.shape = in;
    for (const auto& f : files) {
        const std::string name = f.filename().string();
        const int label = std::isdigit(static_cast<unsigned char>(name[0])) ? name[0] - '0' : -1;
        if (label < 0 || label >= model.classes()) {
            skipped.push_back(name + " (name does not start with a class digit)");
            continue;
        }
        const cnn::Preprocessed p = cnn::preprocess_digit(read_ink_image(f.string(), cleanup).ink, pre);
        if (p.empty) {
            skipped.push_back(name + " (no digit found: empty image)");
            continue;
        }
        d.images.insert(d.images.end(), p.pixels.begin(), p.pixels.end());
        d.labels.push_back(std::uint8_t(label));
        ++d.n;
    }
    if (d.n == 0)
        throw cnn::Error("no usable images in '" + dir +
                         "' (name them like 3_photo.png: the first character is the label)");
    return d;
}

void print_text(const cnn::Evaluation& ev, const EvaluateOptions& o, const std::string& source,
                cnn::InputPreprocessing input) {
    const int k = ev.classes;
    const long correct = std::lround(ev.accuracy * ev.n);
    std::cout << "Weights:  " << o.weights << "\n"
              << "Data:     " << source << " (" << with_commas(std::size_t(ev.n)) << " images)\n"
              << "Input:    " << cnn::input_preprocessing_name(input) << " (as the weights were trained)\n"
              << format("Loss:     %.4f\nAccuracy: %.2f%% (%s / %s)\n\n", ev.loss, 100.0 * ev.accuracy,
                        with_commas(std::size_t(correct)).c_str(), with_commas(std::size_t(ev.n)).c_str());
    std::cout << "Class  Accuracy   Correct / Total\n";
    for (int c = 0; c < k; ++c) {
        int total = 0;
        for (int p = 0; p < k; ++p) total += ev.count(c, p);
        std::cout << format("%5d  %7.2f%%  %8d / %d\n", c, 100.0 * ev.class_accuracy(c), ev.count(c, c),
                            total);
    }
    int widest = 1;
    for (int v : ev.confusion) widest = std::max(widest, int(std::to_string(v).size()));
    const int w = widest + 2;
    std::cout << "\nConfusion matrix (rows: true label, columns: predicted)\n"
              << "true\\pred";
    for (int c = 0; c < k; ++c) std::cout << pad_left(std::to_string(c), std::size_t(w));
    std::cout << "\n";
    for (int t = 0; t < k; ++t) {
        std::cout << pad_left(std::to_string(t), 9);
        for (int p = 0; p < k; ++p) std::cout << pad_left(std::to_string(ev.count(t, p)), std::size_t(w));
        std::cout << "\n";
    }
}

void print_json(const cnn::Evaluation& ev, const EvaluateOptions& o, const std::string& source,
                cnn::InputPreprocessing input, const std::vector<std::string>& skipped) {
    nlohmann::json j;
    j["weights"] = o.weights;
    j["data"] = source;
    j["preprocessing"] = cnn::input_preprocessing_name(input);
    j["n"] = ev.n;
    j["loss"] = ev.loss;
    j["accuracy"] = ev.accuracy;
    auto classes = nlohmann::json::array();
    auto confusion = nlohmann::json::array();
    for (int c = 0; c < ev.classes; ++c) {
        int total = 0;
        auto row = nlohmann::json::array();
        for (int p = 0; p < ev.classes; ++p) {
            total += ev.count(c, p);
            row.push_back(ev.count(c, p));
        }
        classes.push_back({{"class", c},
                           {"accuracy", ev.class_accuracy(c)},
                           {"correct", ev.count(c, c)},
                           {"total", total}});
        confusion.push_back(row);
    }
    j["per_class"] = classes;
    j["confusion"] = confusion;  // [true label][predicted]
    if (!o.folder.empty()) j["skipped"] = skipped;
    std::cout << j.dump() << "\n";
}

int run_evaluate(const EvaluateOptions& o) {
    cnn::LoadedModel loaded = open_model(o.weights);
    cnn::Model& model = loaded.model();
    const cnn::InputPreprocessing input = loaded.input();
    std::vector<std::string> skipped;
    const std::string source = o.folder.empty() ? o.images : o.folder;
    cnn::Dataset data = o.folder.empty() ? load_dataset(o.images, o.labels, model.classes())
                                         : load_folder(o.folder, model, o.cleanup, skipped);
    if (data.shape != model.input_shape())
        throw cnn::Error("'" + source + "' holds " + data.shape.str() + " images but the model expects " +
                         model.input_shape().str());
    cnn::ThreadPool pool(o.threads);
    const cnn::Evaluation ev = loaded.evaluate(data, &pool);
    if (!o.json)
        for (const auto& s : skipped) warn("skipped " + s);
    if (o.json)
        print_json(ev, o, source, input, skipped);
    else
        print_text(ev, o, source, input);
    return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
    auto o = std::make_shared<EvaluateOptions>();
    CLI::App* cmd =
        app.add_subcommand("evaluate", "Accuracy, per-class accuracy and confusion matrix of a model");
    cmd->add_option("--weights", o->weights, "Weights file")->required();
    auto* images = cmd->add_option("--images", o->images, "IDX images (plain or .gz)")->capture_default_str();
    auto* labels = cmd->add_option("--labels", o->labels, "IDX labels (plain or .gz)")->capture_default_str();
    auto* folder = cmd->add_option("--folder", o->folder,
                                   "Evaluate image files named like 3_anything.png (label = first character) "
                                   "instead: photos or drawings, through the drawn-digit preprocessing")
                       ->excludes(images)
                       ->excludes(labels);
    add_cleanup_option(cmd, o->cleanup)->needs(folder);
    cmd->add_flag("--json", o->json, "Machine-readable output");
    add_threads_option(cmd, o->threads);
    return {cmd, [o] { return run_evaluate(*o); }};
}

}  // namespace tools
