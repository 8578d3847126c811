// `digit-cnn predict`: classify image files (photo cleanup, then the drawn-digit preprocessing) or
// the first images of an IDX file (already MNIST-format; used to check the wasm build against
// native). Either way the input preprocessing recorded in the weights file (e.g. deskewing) is
// applied last, exactly as the model was trained. --gate adds a second, eleven-output model whose
// "not a digit" vetoes the digits the first reads (cnn::apply_gate).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/reject.hpp"
#include "commands.hpp"
#include "image_io.hpp"
#include "model_input.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

struct PredictOptions {
    std::string weights;
    std::string gate;  // an eleven-output model whose "not a digit" vetoes the digits `weights` reads
    std::vector<std::string> images;
    std::string idx;
    int count = 0;
    bool json = false;
    bool show = false;
    int threads = 2;
    Cleanup cleanup = Cleanup::photo;
};

// Full float precision, so that another implementation can be compared to 1e-5 or better.
std::string probs_json(const float* p, int k) {
    std::string s = "[";
    for (int i = 0; i < k; ++i) s += format(i ? ", %.9g" : "%.9g", double(p[i]));
    return s + "]";
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\')
            out += std::string("\\") + char(c);
        else if (c < 0x20)
            out += format("\\u%04x", c);
        else
            out += char(c);
    }
    return out + "\"";
}

// The 28x28 input as the network sees it, two characters per pixel to keep the aspect.
void print_ascii(const std::vector<float>& px, int size) {
    static const char ramp[] = " .:-=+*#%@";
    std::cout << "+" << std::string(2 * size, '-') << "+\n";
    for (int y = 0; y < size; ++y) {
        std::cout << "|";
        for (int x = 0; x < size; ++x) {
            const float v = std::clamp(px[std::size_t(y) * size + x], 0.0f, 1.0f);
            const char c = ramp[std::min(9, int(v * 10.0f))];
            std::cout << c << c;
        }
        std::cout << "|\n";
    }
    std::cout << "+" << std::string(2 * size, '-') << "+\n";
}

void print_bars(const float* p, int k) {
    const int width = 40;
    const int best = cnn::argmax(p, k);
    for (int c = 0; c < k; ++c) {
        const int len = int(std::lround(double(p[c]) * width));
        const std::string label = k == 11 && c == cnn::kNotDigitClass ? "not a digit" : std::to_string(c);
        std::cout << format("  %s %s %s%s %6.2f%%\n", label.c_str(), c == best ? ">" : " ",
                            std::string(std::size_t(len), '#').c_str(),
                            std::string(std::size_t(width - len), '.').c_str(), 100.0 * p[c]);
    }
}

// The decision for a digit model (10 outputs, or 11 with "not a digit"); any other model's answer
// is its most probable class.
cnn::Answer answer_for(const float* probs, int k, const cnn::RejectRule& rule) {
    if (k == 10 || k == 11) return cnn::decide_probabilities(probs, k, rule);
    cnn::Answer a;
    a.is_digit = true;
    a.best = cnn::argmax(probs, k);
    return a;
}

// The network must take square grayscale images for the drawn-digit preprocessing to apply.
int digit_side(const cnn::Model& model) {
    const cnn::Shape in = model.input_shape();
    if (in.h != in.w || in.c != 1)
        throw cnn::Error("this model takes " + in.str() +
                         " images; predict on image files needs a square grayscale model (e.g. 28x28x1)");
    return in.h;
}

int predict_files(cnn::LoadedModel& loaded, cnn::LoadedModel* gate, const PredictOptions& o) {
    cnn::Model& model = loaded.model();
    const int side = digit_side(model);
    const cnn::PreprocessOptions pre = cnn::mnist_options(side);
    const int k = model.classes();
    std::vector<std::string> empty, json_items;
    std::vector<float> probs(static_cast<std::size_t>(k)), gate_probs(11);
    for (const auto& path : o.images) {
        const InkImage img = read_ink_image(path, o.cleanup);
        cnn::Preprocessed in = cnn::preprocess_digit(img.ink, pre);
        if (in.empty) {
            empty.push_back(path);
            if (o.json)
                json_items.push_back("{\"file\": " + json_string(path) + ", \"empty\": true}");
            else
                std::cout << path << ": no digit found (empty image)\n";
            continue;
        }
        if (gate) gate->model().predict(gate->prepare(in).pixels.data(), 1, gate_probs.data());
        in = loaded.prepare(std::move(in));
        model.predict(in.pixels.data(), 1, probs.data());
        const cnn::Answer a = gate ? loaded.decide(probs.data(), k, *gate, gate_probs.data(), int(gate_probs.size()))
                                   : answer_for(probs.data(), k, loaded.rule());
        const std::string not_digit_json =
            gate || k == 11 ? format(", \"not_digit_p\": %.9g", double(a.not_digit_p)) : std::string();
        if (o.json) {
            json_items.push_back("{\"file\": " + json_string(path) + ", \"empty\": false, \"is_digit\": " +
                                 (a.is_digit ? "true" : "false") + ", \"prediction\": " +
                                 (a.is_digit ? std::to_string(a.best) : "null") +
                                 ", \"best_guesses\": [" + std::to_string(a.best) + ", " + std::to_string(a.second) +
                                 "]" + not_digit_json + ", \"probabilities\": " + probs_json(probs.data(), k) + "}");
            continue;
        }
        std::cout << path << format(" (%dx%d, ", img.ink.width, img.ink.height)
                  << (img.transparent     ? "strokes on transparent background"
                      : img.dark_on_light ? "dark ink on light paper"
                                          : "light ink on dark background")
                  << (img.specks_dropped ? format(", %d specks dropped", img.specks_dropped) : std::string())
                  << ")\n";
        if (o.show) print_ascii(in.pixels, in.size);
        print_bars(probs.data(), k);
        if (gate) std::cout << format("  not a digit (gate %s): %.2f%%\n", o.gate.c_str(), 100.0 * a.not_digit_p);
        if (a.is_digit)
            std::cout << format("Prediction: %d (%.1f%%)\n", a.best, 100.0 * probs[std::size_t(a.best)]);
        else
            std::cout << format("Prediction: not a digit? Best guesses %d (%.1f%%) or %d (%.1f%%)\n", a.best,
                                100.0 * probs[std::size_t(a.best)], a.second, 100.0 * probs[std::size_t(a.second)]);
        if (&path != &o.images.back()) std::cout << "\n";
    }
    if (o.json) {
        std::cout << "{\"images\": [";
        for (std::size_t i = 0; i < json_items.size(); ++i)
            std::cout << (i ? ",\n  " : "\n  ") << json_items[i];
        std::cout << "\n]}\n";
    }
    if (empty.empty()) return 0;
    std::cout.flush();
    for (const auto& path : empty)
        std::cerr << "digit-cnn: error: no digit found (empty image) in '" << path
                  << "': it has no ink distinct from its background\n";
    return 1;
}

int predict_idx(cnn::LoadedModel& loaded, const PredictOptions& o) {
    cnn::Model& model = loaded.model();
    const cnn::IdxImages idx = cnn::read_idx_images(o.idx);
    const cnn::Shape in = model.input_shape();
    if (idx.rows != in.h || idx.cols != in.w || in.c != 1)
        throw cnn::Error("'" + o.idx + "' holds " + std::to_string(idx.rows) + "x" +
                         std::to_string(idx.cols) + " images but the model expects " + in.str());
    const int n = o.count > 0 ? std::min(o.count, idx.count) : idx.count;
    // The same byte-to-float conversion as training data (core's make_dataset).
    const std::vector<std::uint8_t> no_labels(std::size_t(n), 0);
    cnn::Dataset data = cnn::make_dataset(n, in, idx.pixels.data(), no_labels.data(), model.classes());
    loaded.prepare(data);
    const int k = model.classes();
    std::vector<float> probs(std::size_t(n) * k);
    cnn::ThreadPool pool(o.threads);
    model.predict(data.images.data(), n, probs.data(), &pool);
    if (o.json) {
        std::cout << "{\"probabilities\": [";
        for (int i = 0; i < n; ++i)
            std::cout << (i ? ",\n  " : "\n  ") << probs_json(&probs[std::size_t(i) * k], k);
        std::cout << "\n], \"predictions\": [";
        for (int i = 0; i < n; ++i)
            std::cout << (i ? ", " : "") << cnn::argmax(&probs[std::size_t(i) * k], k);
        std::cout << "]}\n";
        return 0;
    }
    std::cout << "image  prediction  probability\n";
    for (int i = 0; i < n; ++i) {
        const float* p = &probs[std::size_t(i) * k];
        const int best = cnn::argmax(p, k);
        std::cout << format("%5d  %10d  %10.4f\n", i, best, double(p[best]));
    }
    return 0;
}

int run_predict(PredictOptions o) {
    if (o.images.empty() == o.idx.empty())
        throw cnn::Error("give either image files or --idx FILE (run 'digit-cnn predict --help')");
    cnn::LoadedModel loaded = open_model(o.weights);
    const int k = loaded.model().classes();
    if (k != 10 && k != 11 && loaded.rule().threshold > 0)
        throw cnn::Error("'" + o.weights + "' has a reject rule but " + std::to_string(k) +
                         " outputs; a digit model has 10 or 11");
    if (o.gate.empty()) return o.idx.empty() ? predict_files(loaded, nullptr, o) : predict_idx(loaded, o);
    cnn::require_digit_model(loaded.model());
    cnn::LoadedModel gate = open_model(o.gate);
    cnn::require_gate_model(gate);
    return predict_files(loaded, &gate, o);
}

}  // namespace

Command add_predict_command(CLI::App& app) {
    auto o = std::make_shared<PredictOptions>();
    CLI::App* cmd = app.add_subcommand("predict", "Classify digit images (PNG, JPEG, PGM) or IDX images");
    cmd->add_option("--weights", o->weights, "Weights file")->required();
    auto* images = cmd->add_option("images", o->images, "Image files: one digit each, any size and polarity");
    auto* idx = cmd->add_option("--idx", o->idx,
                                "Classify the images of this IDX file (MNIST format: only the weights' own "
                                "input preprocessing, e.g. deskew, is applied)")
                    ->excludes(images);
    cmd->add_option("--count", o->count, "With --idx: only the first N images (0 = all)")
        ->check(CLI::NonNegativeNumber)
        ->needs(idx);
    cmd->add_option("--gate", o->gate,
                    "A calibrated eleven-output model (e.g. weights/robust-nd.dcnn) that vetoes the digits --weights "
                    "reads: \"not a digit?\" when its \"not a digit\" reaches its gate")
        ->excludes(idx);
    cmd->add_flag("--json", o->json, "Machine-readable output (probabilities printed with %.9g)");
    cmd->add_flag("--show", o->show, "Print the preprocessed input the network sees as ASCII art")
        ->excludes(idx);
    add_cleanup_option(cmd, o->cleanup)->excludes(idx);
    add_threads_option(cmd, o->threads);
    cmd->footer(
        "Image files are read as photos of a digit on paper (polarity detected, light evened out, specks\n"
        "dropped; images with a transparent background as canvas drawings), then go through the\n"
        "drawn-digit preprocessing (crop, scale into 20x20, centre by mass in 28x28) and the input\n"
        "preprocessing the weights were trained with (their \"preprocessing\" metadata, e.g. mnist+deskew).\n"
        "An image without ink prints 'no digit found (empty image)' and exits with status 1.");
    return {cmd, [o] { return run_predict(*o); }};
}

}  // namespace tools
