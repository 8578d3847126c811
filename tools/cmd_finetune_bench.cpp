// `digit-cnn finetune-bench`: how well fine-tuning teaches a model a writing style it misreads.
// Styles are (set, design, digit) groups of the robustness sets' stroke fonts, handwriting fonts and
// writing conventions, and the ten seven-segment (calculator) digits drawn by hand: the same digit
// of the same design, varied as a hand varies. For each style
// the model misreads, K of its digits (K = 1, 3, 5, 10) are given as corrections; the model is
// fine-tuned on them with MNIST replay, then read on the style's other digits and on MNIST.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/finetune.hpp"
#include "commands.hpp"
#include "finetune_flags.hpp"
#include "model_input.hpp"
#include "robustness_sets.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

constexpr int kMaxExamples = 10;  // the first 10 digits of a style are its corrections, for every K

struct BenchOptions {
    std::string weights;
    std::string train_images = kTrainImages, train_labels = kTrainLabels;
    std::string test_images = kTestImages, test_labels = kTestLabels;
    std::string half = "test";
    std::vector<int> ks{1, 3, 5, 10};
    int eval = 100;          // digits per style read before and after
    double misread = 0.95;   // a style read right less often than this is adapted to
    int max_styles = 8;
    bool json = false;
    int threads = 2;
    cnn::FineTuneOptions tune;
};

struct Style {
    std::string name;                   // "fonts/Rufscript010 7"
    cnn::Dataset examples, eval;        // first kMaxExamples, then the next `eval` digits
    double before = 0;
};

// The styles of the stroke-font, handwriting-font and conventions sets, each with kMaxExamples
// corrections and `eval` digits to read (designs with fewer digits than that are left out).
std::vector<Style> make_styles(const RobustnessSources& sources, Half half, int eval) {
    const int per_style = kMaxExamples + eval;
    std::vector<Style> styles;
    for (const auto& set : robustness_sets()) {
        int count = 0;
        if (set.name == "conventions") count = 6 * per_style;
        else if (set.name == "hershey" || set.name == "fonts") count = 20 * 10 * per_style;
        else continue;
        const DigitSet d = set.make(sources, half, count);
        std::map<std::pair<int, int>, std::vector<int>> members;  // (design, digit) -> samples
        for (int i = 0; i < d.size(); ++i) members[{d.group.empty() ? 0 : d.group[i], d.labels[i]}].push_back(i);
        const cnn::Dataset all = d.dataset();
        for (const auto& [key, idx] : members) {
            if (int(idx.size()) < per_style) continue;
            Style s;
            const std::string design = d.groups.empty() ? "" : d.groups[std::size_t(key.first)];
            s.name = set.name + "/" + design + (set.name == "conventions" ? "" : " " + std::to_string(key.second));
            std::vector<int> ex(idx.begin(), idx.begin() + kMaxExamples), ev(idx.begin() + kMaxExamples, idx.begin() + per_style);
            const auto take = [&](const std::vector<int>& rows) {
                cnn::Dataset out;
                out.shape = all.shape;
                out.n = int(rows.size());
                for (int r : rows) {
                    const float* p = all.image(r);
                    out.images.insert(out.images.end(), p, p + all.shape.size());
                    out.labels.push_back(all.labels[std::size_t(r)]);
                }
                return out;
            };
            s.examples = take(ex);
            s.eval = take(ev);
            styles.push_back(std::move(s));
        }
    }
    // The seven-segment digits of a calculator, drawn by hand on the page's pad.
    for (int digit = 0; digit < 10; ++digit) {
        DigitSet d;
        for (int i = 0; i < per_style; ++i) {
            cnn::Rng rng = sample_rng(707, half, digit * 100000 + i);
            cnn::PadPlacement place;
            place.extent = rng.uniform(0.5f, 0.85f);
            d.add(cnn::draw_digit(cnn::segment_digit(digit, rng), place), digit);
        }
        const cnn::Dataset all = d.dataset();
        Style s;
        s.name = "segments/" + std::to_string(digit);
        s.examples = cnn::slice(all, 0, kMaxExamples);
        s.eval = cnn::slice(all, kMaxExamples, eval);
        styles.push_back(std::move(s));
    }
    return styles;
}

cnn::Model copy_of(cnn::Model& m) {
    cnn::Model c = cnn::Model::from_spec(m.spec());
    c.set_values(m.get_values());
    return c;
}

struct Run {
    int k = 0;
    double after = 0, mnist_after = 0, seconds = 0;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run_bench(const BenchOptions& o) {
    if (o.half != "val" && o.half != "test") throw cnn::Error("--half must be val or test, not '" + o.half + "'");
    for (int k : o.ks)
        if (k < 1 || k > kMaxExamples) throw cnn::Error("--k values must be 1.." + std::to_string(kMaxExamples));
    const Half half = o.half == "val" ? Half::validation : Half::test;
    cnn::LoadedModel loaded = open_model(o.weights);
    cnn::require_digit_model(loaded.model());
    cnn::Model& base = loaded.model();

    const cnn::Dataset train = load_dataset(o.train_images, o.train_labels);
    RobustnessSources sources;
    cnn::Dataset mnist;  // read before and after, as "does it forget?"
    if (half == Half::validation) {
        sources.mnist_validation = cnn::split_validation(train, 0.1).second;
        mnist = sources.mnist_validation;
    } else {
        sources.mnist_test = load_dataset(o.test_images, o.test_labels);
        mnist = sources.mnist_test;
    }
    cnn::Dataset replay = load_replay(o.train_images, o.train_labels);
    loaded.prepare(replay);
    loaded.prepare(mnist);

    cnn::ThreadPool pool(o.threads);
    std::vector<Style> styles = make_styles(sources, half, o.eval);
    for (auto& s : styles) {
        loaded.prepare(s.examples);
        loaded.prepare(s.eval);
        s.before = cnn::evaluate(base, s.eval, &pool).accuracy;
    }
    std::vector<Style*> chosen;
    for (auto& s : styles)
        if (s.before < o.misread) chosen.push_back(&s);
    std::stable_sort(chosen.begin(), chosen.end(), [](const Style* a, const Style* b) { return a->before < b->before; });
    const int misread_count = int(chosen.size());
    if (int(chosen.size()) > o.max_styles) chosen.resize(std::size_t(o.max_styles));
    const double mnist_before = cnn::evaluate(base, mnist, &pool).accuracy;

    std::vector<std::vector<Run>> runs(chosen.size());
    for (std::size_t si = 0; si < chosen.size(); ++si) {
        for (int k : o.ks) {
            cnn::Model m = copy_of(base);
            const cnn::Dataset mine = cnn::slice(chosen[si]->examples, 0, k);
            const cnn::FineTuneResult r = cnn::fine_tune(m, mine, replay, o.tune, &pool);
            Run run;
            run.k = k;
            run.seconds = r.seconds;
            run.after = cnn::evaluate(m, chosen[si]->eval, &pool).accuracy;
            run.mnist_after = cnn::evaluate(m, mnist, &pool).accuracy;
            runs[si].push_back(run);
            if (!o.json)
                std::cerr << format("  %-32s K=%-2d %6.2f%% -> %6.2f%%, MNIST %.2f%% -> %.2f%%, %.1f s\n",
                                    chosen[si]->name.c_str(), k, 100 * chosen[si]->before, 100 * run.after,
                                    100 * mnist_before, 100 * run.mnist_after, run.seconds);
        }
    }

    const std::string mnist_name = half == Half::validation ? "MNIST validation split" : "MNIST test";
    if (o.json) {
        nlohmann::json j;
        j["weights"] = o.weights;
        j["half"] = o.half;
        j["settings"] = cnn::describe(o.tune);
        j["styles"] = int(styles.size());
        j["misread"] = misread_count;
        j["mnist"] = mnist_name;
        j["mnist_before"] = mnist_before;
        auto rows = nlohmann::json::array();
        for (std::size_t si = 0; si < chosen.size(); ++si) {
            auto ks = nlohmann::json::array();
            for (const auto& r : runs[si])
                ks.push_back({{"k", r.k}, {"after", r.after}, {"mnist_after", r.mnist_after}, {"seconds", r.seconds}});
            rows.push_back({{"style", chosen[si]->name}, {"before", chosen[si]->before}, {"runs", ks}});
        }
        j["adapted"] = rows;
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "Fine-tuning benchmark (" << o.half << " halves), " << o.weights << "\n"
              << "Settings: " << cnn::describe(o.tune) << "\n"
              << styles.size() << " styles of " << kMaxExamples + o.eval << " digits; " << misread_count
              << format(" read right below %.0f%% before; the %d worst adapted.\n", 100 * o.misread, int(chosen.size()))
              << format("Each: K corrections, then read on its other %d digits.\n\n", o.eval);
    std::cout << format("%-32s %8s", "style", "before");
    for (int k : o.ks) std::cout << format("   K=%-4d", k);
    std::cout << "\n";
    for (std::size_t si = 0; si < chosen.size(); ++si) {
        std::cout << format("%-32s %7.2f%%", chosen[si]->name.c_str(), 100 * chosen[si]->before);
        for (const auto& r : runs[si]) std::cout << format(" %7.2f%%", 100 * r.after);
        std::cout << "\n";
    }
    std::cout << format("%-32s %8s", "styles at >= 98%", "");
    for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
        int good = 0;
        for (const auto& rs : runs) good += rs[ki].after >= 0.98;
        std::cout << format(" %4d/%-3d", good, int(runs.size()));
    }
    std::cout << "\n" << format("%-32s %7.2f%%", (mnist_name + ", worst").c_str(), 100 * mnist_before);
    for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
        double worst = 1;
        for (const auto& rs : runs) worst = std::min(worst, rs[ki].mnist_after);
        std::cout << format(" %7.2f%%", 100 * worst);
    }
    std::cout << "\n" << format("%-32s %7.2f%%", (mnist_name + ", mean").c_str(), 100 * mnist_before);
    for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
        double sum = 0;
        for (const auto& rs : runs) sum += rs[ki].mnist_after;
        std::cout << format(" %7.2f%%", runs.empty() ? 0.0 : 100 * sum / double(runs.size()));
    }
    std::cout << "\n" << format("%-32s %8s", "seconds, median", "");
    for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
        std::vector<double> s;
        for (const auto& rs : runs) s.push_back(rs[ki].seconds);
        std::cout << format(" %7.2fs", median(s));
    }
    std::cout << "\n";
    return 0;
}

}  // namespace

Command add_finetune_bench_command(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand(
        "finetune-bench", "How fine-tuning on K corrections teaches a model the writing styles it misreads");
    cmd->add_option("--weights", o->weights, "The model to adapt")->required();
    cmd->add_option("--half", o->half, "val (for choosing settings) or test (for reporting)")->capture_default_str();
    cmd->add_option("--k", o->ks, "Numbers of corrections to try (1..10)")->delimiter(',')->capture_default_str();
    cmd->add_option("--eval", o->eval, "Digits per style read before and after")->check(CLI::Range(10, 1000))->capture_default_str();
    cmd->add_option("--misread", o->misread, "Adapt to styles read right less often than this")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    cmd->add_option("--max-styles", o->max_styles, "Adapt to at most this many of them, the worst read first")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    cmd->add_option("--train-images", o->train_images, "MNIST training images (replay, validation split)")->capture_default_str();
    cmd->add_option("--train-labels", o->train_labels, "Their labels")->capture_default_str();
    cmd->add_option("--test-images", o->test_images, "MNIST test images (--half test)")->capture_default_str();
    cmd->add_option("--test-labels", o->test_labels, "Their labels")->capture_default_str();
    add_finetune_options(cmd, o->tune);
    cmd->add_flag("--json", o->json, "Machine-readable output");
    add_threads_option(cmd, o->threads);
    return {cmd, [o] { return run_bench(*o); }};
}

}  // namespace tools
