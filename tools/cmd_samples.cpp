// `digit-cnn samples`: a PNG grid of data set digits with their labels (and, given weights, the
// model's predictions), like the 5x5 figure of the Keras report.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "bitmap_font.hpp"
#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/model/loss.hpp"
#include "commands.hpp"
#include "image_io.hpp"

namespace tools {

namespace {

struct SamplesOptions {
    std::string images = kTrainImages;
    std::string labels = kTrainLabels;
    int rows = 5, cols = 5;
    int start = 0;
    int scale = 3;
    std::string weights;
    bool misclassified = false;
    std::string output;
};

const Rgb kPaper{255, 255, 255}, kText{30, 30, 30}, kWrong{200, 30, 30}, kRight{20, 120, 40};

int run_samples(const SamplesOptions& o) {
    const cnn::Dataset data = load_dataset(o.images, o.labels);
    if (o.start >= data.n)
        throw cnn::Error("--start " + std::to_string(o.start) + " is past the end of the data (" +
                         std::to_string(data.n) + " images)");

    // Predictions for every candidate image, if a model is given.
    std::vector<int> predicted;
    if (!o.weights.empty()) {
        cnn::Model model = load_model(o.weights);
        if (model.input_shape() != data.shape)
            throw cnn::Error("the model expects " + model.input_shape().str() +
                             " images but the data holds " + data.shape.str());
        const int k = model.classes();
        const int n = data.n - o.start;
        std::vector<float> probs(std::size_t(n) * k);
        cnn::ThreadPool pool(2);
        model.predict(data.image(o.start), n, probs.data(), &pool);
        for (int i = 0; i < n; ++i) predicted.push_back(cnn::argmax(&probs[std::size_t(i) * k], k));
    }
    std::vector<int> chosen;
    for (int i = o.start; i < data.n && int(chosen.size()) < o.rows * o.cols; ++i)
        if (!o.misclassified || predicted[std::size_t(i - o.start)] != data.labels[std::size_t(i)])
            chosen.push_back(i);
    if (chosen.empty()) throw cnn::Error("no misclassified images from --start on: nothing to draw");

    const int side = data.shape.h * o.scale, side_w = data.shape.w * o.scale;
    const int font = std::max(2, o.scale - 1), pad = 4 * o.scale, gap = 2 * o.scale;
    const int label_h = kGlyphHeight * font;
    const int cell_w = side_w + pad, cell_h = label_h + gap + side + pad;
    RgbImage img(o.cols * cell_w + pad, o.rows * cell_h + pad, kPaper);
    for (std::size_t j = 0; j < chosen.size(); ++j) {
        const int i = chosen[j];
        const int x0 = pad + int(j % std::size_t(o.cols)) * cell_w,
                  y0 = pad + int(j / std::size_t(o.cols)) * cell_h;
        const int truth = data.labels[std::size_t(i)];
        std::string label = std::to_string(truth);
        Rgb color = kText;
        if (!predicted.empty()) {
            const int p = predicted[std::size_t(i - o.start)];
            label = p == truth ? label : label + ">" + std::to_string(p);
            color = p == truth ? kRight : kWrong;
        }
        draw_text(img, x0 + (side_w - text_width(label, font)) / 2, y0, label, font, color);
        // The digit as stored: white ink on black, like matplotlib's gray colormap.
        const float* px = data.image(i);
        const int c = data.shape.c;
        for (int y = 0; y < data.shape.h; ++y)
            for (int x = 0; x < data.shape.w; ++x) {
                const float v = px[(std::size_t(y) * data.shape.w + x) * c];
                const auto g = std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
                img.fill_rect(x0 + x * o.scale, y0 + label_h + gap + y * o.scale, o.scale, o.scale,
                              {g, g, g});
            }
    }
    ensure_parent_directory(o.output);
    write_png(o.output, img.width, img.height, 3, img.pixels);
    std::cout << "Wrote " << o.output << " (" << chosen.size() << " images, " << img.width << "x"
              << img.height << " pixels)\n";
    return 0;
}

}  // namespace

Command add_samples_command(CLI::App& app) {
    auto o = std::make_shared<SamplesOptions>();
    CLI::App* cmd = app.add_subcommand("samples", "Draw a PNG grid of data set digits with their labels");
    cmd->add_option("--images", o->images, "IDX images")->capture_default_str();
    cmd->add_option("--labels", o->labels, "IDX labels")->capture_default_str();
    cmd->add_option("--rows", o->rows, "Grid rows")->check(CLI::Range(1, 100))->capture_default_str();
    cmd->add_option("--cols", o->cols, "Grid columns")->check(CLI::Range(1, 100))->capture_default_str();
    cmd->add_option("--start", o->start, "Index of the first image")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--scale", o->scale, "Pixels per image pixel")
        ->check(CLI::Range(1, 16))
        ->capture_default_str();
    auto* weights = cmd->add_option("--weights", o->weights,
                                    "Also classify the digits: labels become green, or red 'true>predicted'");
    cmd->add_flag("--misclassified", o->misclassified, "Only digits the model gets wrong")->needs(weights);
    cmd->add_option("--output,-o", o->output, "PNG file to write")->required();
    return {cmd, [o] { return run_samples(*o); }};
}

}  // namespace tools
