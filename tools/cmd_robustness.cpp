// `digit-cnn robustness`: accuracy of one or more models on the robustness sets (robustness_sets.hpp),
// per set, per class and per group (font, writing convention), on the validation halves (for
// choosing) or the test halves (for reporting). The sets are made afresh from their seeds; --write
// keeps them as IDX files.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/base/parallel.hpp"
#include "cnn/image/input_preprocessing.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/metrics.hpp"
#include "commands.hpp"
#include "model_input.hpp"
#include "robustness_sets.hpp"
#include "text_format.hpp"

namespace tools {

namespace {

struct RobustnessOptions {
    std::vector<std::string> weights;
    std::string split = "val";
    std::vector<std::string> sets;  // empty: all
    int count = kRobustnessCount;
    std::string write;
    std::string train_images = kTrainImages, train_labels = kTrainLabels;
    std::string test_images = kTestImages, test_labels = kTestLabels;
    bool per_class = false;
    bool json = false;
    bool ensemble = false;
    int threads = 2;
};

struct SetResult {
    std::string name, what;
    int n = 0;
    double mean_ink = 0;
    DigitSet set;
    std::vector<cnn::Evaluation> evals;  // one per model
};

// Accuracy and most common misreading of each group of a set, for one model.
nlohmann::json group_report(const DigitSet& set, const cnn::Evaluation& ev) {
    auto out = nlohmann::json::array();
    for (std::size_t g = 0; g < set.groups.size(); ++g) {
        int n = 0, correct = 0;
        std::map<int, int> misread;
        for (int i = 0; i < set.size(); ++i) {
            if (set.group[std::size_t(i)] != int(g)) continue;
            ++n;
            const int p = ev.predictions[std::size_t(i)];
            if (p == set.labels[std::size_t(i)]) ++correct;
            else ++misread[p];
        }
        nlohmann::json m = nlohmann::json::object();
        for (const auto& [digit, k] : misread) m[std::to_string(digit)] = k;
        out.push_back({{"group", set.groups[g]}, {"n", n}, {"accuracy", n ? double(correct) / n : 0.0}, {"misread_as", m}});
    }
    return out;
}

std::string misread_text(const nlohmann::json& m) {
    std::vector<std::pair<int, std::string>> v;
    for (auto it = m.begin(); it != m.end(); ++it) v.push_back({it.value().get<int>(), it.key()});
    std::sort(v.rbegin(), v.rend());
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < 3; ++i) s += (i ? ", " : "") + v[i].second + " x" + std::to_string(v[i].first);
    return s.empty() ? "-" : s;
}

// The models' mean probabilities as one Evaluation: the accuracy an ensemble of them would have.
// Its "logits" are the logs of the mean probabilities, so the loss is the cross-entropy of the mean.
// The models have the same outputs (checked when they are loaded): an eleven-output ensemble can
// answer "not a digit", which counts as a misreading here, as it does in each model's column.
cnn::Evaluation ensemble_of(const std::vector<cnn::Evaluation>& evs, const std::vector<std::uint8_t>& labels) {
    const int n = evs.front().n, k = evs.front().classes;
    std::vector<float> log_mean(std::size_t(n) * std::size_t(k)), p(static_cast<std::size_t>(k));
    for (int i = 0; i < n; ++i) {
        float* row = log_mean.data() + std::size_t(i) * std::size_t(k);
        for (const auto& ev : evs) {
            cnn::softmax(ev.logits.data() + std::size_t(i) * std::size_t(k), k, p.data());
            for (int c = 0; c < k; ++c) row[c] += p[std::size_t(c)] / float(evs.size());
        }
        for (int c = 0; c < k; ++c) row[c] = std::log(std::max(row[c], 1e-30f));
    }
    return cnn::score_logits(std::move(log_mean), k, labels);
}

int run_robustness(const RobustnessOptions& o) {
    if (o.split != "val" && o.split != "test") throw cnn::Error("--split must be val or test");
    const Half half = o.split == "val" ? Half::validation : Half::test;
    for (const auto& name : o.sets) {
        const auto& all = robustness_sets();
        if (std::none_of(all.begin(), all.end(), [&](const RobustnessSet& r) { return r.name == name; })) {
            std::string known;
            for (const auto& r : all) known += (known.empty() ? "" : ", ") + r.name;
            throw cnn::Error("unknown robustness set '" + name + "' (known: " + known + ")");
        }
    }
    std::vector<cnn::LoadedModel> models;
    for (const auto& w : o.weights) {
        models.push_back(open_model(w));
        // An eleventh output ("not a digit") counts as a misreading of a digit.
        cnn::require_digit_model(models.back().model());
    }
    if (o.ensemble && models.size() < 2) throw cnn::Error("--ensemble needs at least two --weights");
    for (std::size_t i = 1; o.ensemble && i < models.size(); ++i)
        if (models[i].model().classes() != models[0].model().classes())
            throw cnn::Error("--ensemble needs models with the same outputs: '" + o.weights[0] + "' has " +
                             std::to_string(models[0].model().classes()) + ", '" + o.weights[i] + "' has " +
                             std::to_string(models[i].model().classes()));
    std::vector<std::string> columns = o.weights;  // what each result column is: the models, then the ensemble
    if (o.ensemble) columns.push_back("ensemble: mean of the probabilities of [1]-[" + std::to_string(models.size()) + "]");
    RobustnessSources sources;
    cnn::Dataset mnist = half == Half::validation ? load_dataset(o.train_images, o.train_labels)
                                                  : load_dataset(o.test_images, o.test_labels);
    if (half == Half::validation) {
        sources.mnist_validation = cnn::split_validation(mnist, 0.1).second;
    } else {
        sources.mnist_test = mnist;
    }
    const cnn::Dataset& plain = half == Half::validation ? sources.mnist_validation : sources.mnist_test;

    cnn::ThreadPool pool(o.threads);
    const auto evaluate_all = [&](const cnn::Dataset& data) {
        std::vector<cnn::Evaluation> evs;
        for (auto& m : models) evs.push_back(m.evaluate(data, &pool));
        if (o.ensemble) evs.push_back(ensemble_of(evs, data.labels));
        return evs;
    };

    std::vector<SetResult> results;
    {
        SetResult r;
        r.name = "mnist";
        r.what = half == Half::validation ? "MNIST training file, last 6,000 (the held-out validation split)"
                                          : "MNIST test file";
        r.n = plain.n;
        double ink = 0;
        std::vector<float> buf(plain.shape.size());
        for (int i = 0; i < plain.n; ++i) {
            plain.copy_images(i, 1, buf.data());
            for (float v : buf) ink += v;
        }
        r.mean_ink = ink / (double(plain.n) * double(plain.shape.size()));
        r.evals = evaluate_all(plain);
        results.push_back(std::move(r));
    }
    for (const auto& spec : robustness_sets()) {
        if (!o.sets.empty() && std::find(o.sets.begin(), o.sets.end(), spec.name) == o.sets.end()) continue;
        SetResult r;
        r.name = spec.name;
        r.what = spec.what;
        r.set = spec.make(sources, half, o.count);
        r.n = r.set.size();
        r.mean_ink = r.set.mean_ink();
        r.evals = evaluate_all(r.set.dataset());
        if (!o.write.empty()) write_digit_set(r.set, o.write, spec.name + "-" + half_name(half));
        results.push_back(std::move(r));
    }

    if (o.json) {
        nlohmann::json j;
        j["split"] = o.split;
        j["weights"] = o.weights;
        j["columns"] = columns;
        auto sets = nlohmann::json::array();
        for (const auto& r : results) {
            nlohmann::json s{{"set", r.name}, {"what", r.what}, {"n", r.n}, {"mean_ink", r.mean_ink}};
            auto per_model = nlohmann::json::array();
            for (const auto& ev : r.evals) {
                nlohmann::json per_class = nlohmann::json::array();
                for (int c = 0; c < 10; ++c) {
                    int total = 0;
                    for (int p = 0; p < 10; ++p) total += ev.count(c, p);
                    per_class.push_back(total ? nlohmann::json(ev.class_accuracy(c)) : nlohmann::json());
                }
                nlohmann::json m{{"accuracy", ev.accuracy}, {"loss", ev.loss}, {"per_class", per_class}};
                if (!r.set.groups.empty()) m["groups"] = group_report(r.set, ev);
                per_model.push_back(m);
            }
            s["results"] = per_model;
            sets.push_back(s);
        }
        j["sets"] = sets;
        std::cout << j.dump() << "\n";
        return 0;
    }

    std::cout << "Robustness, " << (half == Half::validation ? "validation" : "test") << " halves ("
              << (half == Half::validation ? "for choosing models" : "for reporting only") << ")\n";
    for (std::size_t m = 0; m < columns.size(); ++m) std::cout << "  [" << m + 1 << "] " << columns[m] << "\n";
    std::cout << "\n" << pad_right("set", 13) << pad_left("n", 6) << pad_left("ink", 8);
    for (std::size_t m = 0; m < columns.size(); ++m) std::cout << pad_left("[" + std::to_string(m + 1) + "]", 9);
    std::cout << "\n";
    for (const auto& r : results) {
        std::cout << pad_right(r.name, 13) << pad_left(std::to_string(r.n), 6) << format("%8.4f", r.mean_ink);
        for (const auto& ev : r.evals) std::cout << format("%8.2f%%", 100.0 * ev.accuracy);
        std::cout << "\n";
    }
    for (const auto& r : results) {
        if (r.set.groups.empty() || r.name == "hershey" || r.name == "fonts") continue;
        std::cout << "\n" << r.name << " by group (accuracy; most common misreadings):\n";
        for (std::size_t m = 0; m < columns.size(); ++m) {
            for (const auto& g : group_report(r.set, r.evals[m]))
                std::cout << "  [" << m + 1 << "] " << pad_right(g["group"].get<std::string>(), 15)
                          << format("%7.2f%%  ", 100.0 * g["accuracy"].get<double>()) << misread_text(g["misread_as"])
                          << "\n";
        }
    }
    if (o.per_class) {
        for (std::size_t m = 0; m < columns.size(); ++m) {
            std::cout << "\nPer class, [" << m + 1 << "] " << columns[m] << "\n" << pad_right("set", 13);
            for (int c = 0; c < 10; ++c) std::cout << pad_left(std::to_string(c), 8);
            std::cout << "\n";
            for (const auto& r : results) {
                std::cout << pad_right(r.name, 13);
                for (int c = 0; c < 10; ++c) {
                    int total = 0;
                    for (int p = 0; p < 10; ++p) total += r.evals[m].count(c, p);
                    std::cout << (total ? format("%7.2f%%", 100.0 * r.evals[m].class_accuracy(c)) : pad_left("-", 8));
                }
                std::cout << "\n";
            }
        }
    }
    return 0;
}

}  // namespace

Command add_robustness_command(CLI::App& app) {
    auto o = std::make_shared<RobustnessOptions>();
    CLI::App* cmd = app.add_subcommand(
        "robustness", "Accuracy on digits that are not MNIST as written: fonts, pen redraws, style shifts, "
                      "writing conventions (validation or test halves)");
    cmd->add_option("--weights", o->weights, "Weights file(s); several are compared side by side")
        ->required()
        ->expected(1, 16);
    cmd->add_option("--split", o->split, "val: the validation halves, for choosing; test: for reporting only")
        ->check(CLI::IsMember({"val", "test"}))
        ->capture_default_str();
    cmd->add_option("--sets", o->sets, "Only these sets (comma-separated; default all)")->delimiter(',');
    cmd->add_option("--count", o->count, "Digits per set and half")
        ->check(CLI::Range(10, 100000))
        ->capture_default_str();
    cmd->add_option("--write", o->write, "Also write every set as IDX files into this directory");
    cmd->add_option("--train-images", o->train_images, "MNIST training images (the validation halves' source)")
        ->capture_default_str();
    cmd->add_option("--train-labels", o->train_labels, "MNIST training labels")->capture_default_str();
    cmd->add_option("--test-images", o->test_images, "MNIST test images (the test halves' source)")
        ->capture_default_str();
    cmd->add_option("--test-labels", o->test_labels, "MNIST test labels")->capture_default_str();
    cmd->add_flag("--per-class", o->per_class, "Also print accuracy per class and set");
    cmd->add_flag("--ensemble", o->ensemble,
                  "Also report the ensemble of the models (their mean probabilities; same outputs) as one more column");
    cmd->add_flag("--json", o->json, "Machine-readable output");
    add_threads_option(cmd, o->threads);
    return {cmd, [o] { return run_robustness(*o); }};
}

}  // namespace tools
