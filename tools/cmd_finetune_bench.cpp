// `digit-cnn finetune-bench`: how well fine-tuning teaches a model a writing style it misreads.
// Styles are (set, design, digit) groups of the robustness sets' stroke fonts, handwriting fonts and
// writing conventions, and the ten seven-segment (calculator) digits drawn by hand: the same digit
// of the same design, varied as a hand varies. For each style
// the model misreads, K of its digits (K = 1, 3, 5, 10) are given as corrections; the model is
// fine-tuned on them with MNIST replay, then read on the style's other digits and on MNIST.
// With --gate G (an eleven-output "not a digit" model, as on the page's "Robust, honest"), the gate
// is adapted too, with core's gate settings (the negatives in each batch) as the page does, and the pair
// is measured: the style's digits and MNIST accepted and read right, and the negative sets rejected.
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cnn/base/error.hpp"
#include "cnn/image/conventions.hpp"
#include "cnn/image/pad.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/reject.hpp"
#include "cnn/training/finetune.hpp"
#include "commands.hpp"
#include "finetune_flags.hpp"
#include "model_input.hpp"
#include "negative_sets.hpp"
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
    std::string gate, negative_images, negative_labels;  // --gate: adapt and measure the pair
    int negatives_count = 2000;  // samples per negative set read with --gate
    float gate_blend = 0;        // > 0: the gate's blend instead of the reader's (for choosing)
    int gate_examples = 0;       // > 0: the gate's examples per batch instead of the reader's
    int gate_negatives = 0;      // > 0: the gate's negatives per batch instead of core's
    bool json = false;
    int threads = 2;
    cnn::FineTuneOptions tune;
};

struct Style {
    std::string name;                   // "fonts/Rufscript010 7"
    cnn::Dataset examples, eval;        // first kMaxExamples, then the next `eval` digits
    double before = 0;
    cnn::Dataset gate_examples, gate_eval;  // the same as the gate takes them (--gate)
    double pair_before = 0;                 // accepted and read right by the base pair
};

// A data set as the reader takes it and as the gate takes it, for --gate.
struct PairData {
    std::string name;
    cnn::Dataset reader, gate;
    bool digits = true;  // else drawings that are not digits: right when rejected
};

// The fraction of `d` that the reader and its gate answer right (answered_right), from the
// reader's evaluation of d.reader (evaluate_answers) and the gate read afresh.
double pair_right(const cnn::Evaluation& reader_ev, const cnn::RejectRule& rule, cnn::Model& gate,
                  const cnn::RejectRule& gate_rule, const PairData& d, cnn::ThreadPool* pool) {
    const cnn::Evaluation ge = evaluate_answers(gate, d.gate, d.digits, pool);
    return answered_right(reader_ev, rule, d.reader.labels, d.digits, &ge, &gate_rule);
}
double pair_right(cnn::Model& reader, const cnn::RejectRule& rule, cnn::Model& gate, const cnn::RejectRule& gate_rule,
                  const PairData& d, cnn::ThreadPool* pool) {
    return pair_right(evaluate_answers(reader, d.reader, d.digits, pool), rule, gate, gate_rule, d, pool);
}

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
    // --gate: the adapted pair's style and MNIST digits accepted and right, the negative sets
    // rejected (negative_sets() order, halves left out), and both adaptations' seconds.
    double pair_after = 0, mnist_pair_after = 0;
    std::vector<double> rejected;
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
    std::optional<cnn::LoadedModel> gate;  // --gate
    if (!o.gate.empty()) {
        gate.emplace(open_model(o.gate));
        cnn::require_gate_model(*gate);
        if (o.negative_images.empty())
            throw cnn::Error("--gate needs the negatives it replays while adapting (--negative-images, --negative-labels; "
                             "e.g. weights/gate-negatives-*-ubyte.gz)");
    }

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
        if (!o.gate.empty()) {  // as they are, for the gate to prepare its own way
            s.gate_examples = s.examples;
            s.gate_eval = s.eval;
        }
        loaded.prepare(s.examples);
        loaded.prepare(s.eval);
        s.before = cnn::evaluate(base, s.eval, &pool).accuracy;
    }
    // --gate: its negatives (replayed while it adapts) and the data it reads, as it takes them; the
    // styles adapted to are the ones the reader misreads.
    cnn::Dataset negatives, gate_replay;
    std::vector<PairData> pair_sets;  // MNIST, then the negative sets
    if (!o.gate.empty()) {
        negatives = load_dataset(o.negative_images, o.negative_labels, gate->model().classes(), cnn::PixelStorage::Bytes);
        gate->prepare(negatives);
        gate_replay = load_replay(o.train_images, o.train_labels, gate->model().classes());
        gate->prepare(gate_replay);
        PairData m{"MNIST", mnist, half == Half::validation ? sources.mnist_validation : sources.mnist_test, true};
        gate->prepare(m.gate);
        pair_sets.push_back(std::move(m));
        for (const auto& n : negative_sets()) {
            if (n.name == "halves") continue;  // half a digit is often a digit: no target
            const cnn::Dataset d = n.make(sources, half, o.negatives_count).dataset();
            PairData p{n.name, d, d, false};
            loaded.prepare(p.reader);
            gate->prepare(p.gate);
            pair_sets.push_back(std::move(p));
        }
    }
    std::vector<Style*> chosen;
    for (auto& s : styles)
        if (s.before < o.misread) chosen.push_back(&s);
    std::stable_sort(chosen.begin(), chosen.end(), [](const Style* a, const Style* b) { return a->before < b->before; });
    const int misread_count = int(chosen.size());
    if (int(chosen.size()) > o.max_styles) chosen.resize(std::size_t(o.max_styles));
    const double mnist_before = cnn::evaluate(base, mnist, &pool).accuracy;
    cnn::FineTuneOptions gate_tune = cnn::gate_fine_tune_options(o.tune);
    if (o.gate_blend > 0) gate_tune.blend = o.gate_blend;
    if (o.gate_examples > 0) gate_tune.examples_per_batch = o.gate_examples;
    if (o.gate_negatives > 0) gate_tune.negatives_per_batch = o.gate_negatives;
    cnn::validate(gate_tune);
    std::vector<double> pair_before_sets;  // pair_sets as the base pair answers them
    if (gate) {
        for (Style* s : chosen) {
            gate->prepare(s->gate_examples);
            gate->prepare(s->gate_eval);
            s->pair_before = pair_right(base, loaded.rule(), gate->model(), gate->rule(),
                                        PairData{s->name, s->eval, s->gate_eval, true}, &pool);
        }
        for (const auto& p : pair_sets) pair_before_sets.push_back(pair_right(base, loaded.rule(), gate->model(), gate->rule(), p, &pool));
    }

    std::vector<std::vector<Run>> runs(chosen.size());
    for (std::size_t si = 0; si < chosen.size(); ++si) {
        for (int k : o.ks) {
            cnn::Model m = copy_of(base);
            const cnn::Dataset mine = cnn::slice(chosen[si]->examples, 0, k);
            const cnn::FineTuneResult r = cnn::fine_tune(m, mine, replay, o.tune, &pool);
            Run run;
            run.k = k;
            run.seconds = r.seconds;
            const cnn::Evaluation style_ev = cnn::evaluate(m, chosen[si]->eval, &pool);
            const cnn::Evaluation mnist_ev = cnn::evaluate(m, mnist, &pool);
            run.after = style_ev.accuracy;
            run.mnist_after = mnist_ev.accuracy;
            if (gate) {
                cnn::Model g = copy_of(gate->model());
                const cnn::FineTuneResult gr = cnn::fine_tune(g, cnn::slice(chosen[si]->gate_examples, 0, k), gate_replay,
                                                              negatives, gate_tune, &pool);
                run.seconds += gr.seconds;
                run.pair_after = pair_right(style_ev, loaded.rule(), g, gate->rule(),
                                            PairData{chosen[si]->name, chosen[si]->eval, chosen[si]->gate_eval, true}, &pool);
                run.mnist_pair_after = pair_right(mnist_ev, loaded.rule(), g, gate->rule(), pair_sets[0], &pool);
                for (std::size_t pi = 1; pi < pair_sets.size(); ++pi)
                    run.rejected.push_back(pair_right(m, loaded.rule(), g, gate->rule(), pair_sets[pi], &pool));
            }
            runs[si].push_back(run);
            if (!o.json)
                std::cerr << format("  %-32s K=%-2d %6.2f%% -> %6.2f%%, MNIST %.2f%% -> %.2f%%, %.1f s%s\n",
                                    chosen[si]->name.c_str(), k, 100 * chosen[si]->before, 100 * run.after,
                                    100 * mnist_before, 100 * run.mnist_after, run.seconds,
                                    gate ? format("; with the gate %.2f%% -> %.2f%%", 100 * chosen[si]->pair_before,
                                                  100 * run.pair_after).c_str()
                                         : "");
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
            for (const auto& r : runs[si]) {
                nlohmann::json run{{"k", r.k}, {"after", r.after}, {"mnist_after", r.mnist_after}, {"seconds", r.seconds}};
                if (gate) {
                    run["pair_after"] = r.pair_after;
                    run["mnist_pair_after"] = r.mnist_pair_after;
                    for (std::size_t pi = 1; pi < pair_sets.size(); ++pi) run["rejected"][pair_sets[pi].name] = r.rejected[pi - 1];
                }
                ks.push_back(run);
            }
            rows.push_back({{"style", chosen[si]->name}, {"before", chosen[si]->before}, {"runs", ks}});
            if (gate) rows.back()["pair_before"] = chosen[si]->pair_before;
        }
        j["adapted"] = rows;
        if (gate) {
            j["gate"] = o.gate;
            j["gate_settings"] = cnn::describe(gate_tune);
            j["mnist_pair_before"] = pair_before_sets[0];
            for (std::size_t pi = 1; pi < pair_sets.size(); ++pi) j["rejected_before"][pair_sets[pi].name] = pair_before_sets[pi];
        }
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "Fine-tuning benchmark (" << o.half << " halves), " << o.weights << "\n"
              << "Settings: " << cnn::describe(o.tune) << "\n"
              << styles.size() << " styles of " << kMaxExamples + o.eval << " digits; " << misread_count
              << format(" read right below %.0f%% before; the %d worst adapted.\n", 100 * o.misread, int(chosen.size()))
              << format("Each: K corrections, then read on its other %d digits.\n\n", o.eval);
    // One row per style adapted to (before, then after each K), and how many reach 98%.
    const auto style_table = [&](const auto& before, const auto& after) {
        std::cout << format("%-32s %8s", "style", "before");
        for (int k : o.ks) std::cout << format("   K=%-4d", k);
        std::cout << "\n";
        for (std::size_t si = 0; si < chosen.size(); ++si) {
            std::cout << format("%-32s %7.2f%%", chosen[si]->name.c_str(), 100 * before(*chosen[si]));
            for (const auto& r : runs[si]) std::cout << format(" %7.2f%%", 100 * after(r));
            std::cout << "\n";
        }
        std::cout << format("%-32s %8s", "styles at >= 98%", "");
        for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
            int good = 0;
            for (const auto& rs : runs) good += after(rs[ki]) >= 0.98;
            std::cout << format(" %4d/%-3d", good, int(runs.size()));
        }
    };
    // The worst and the mean over the styles adapted to.
    const auto rows = [&](const std::string& label, double before, const auto& value) {
        for (const bool worst : {true, false}) {
            std::cout << "\n" << format("%-32s %7.2f%%", (label + (worst ? ", worst" : ", mean")).c_str(), 100 * before);
            for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
                double w = 1, sum = 0;
                for (const auto& rs : runs) w = std::min(w, value(rs[ki])), sum += value(rs[ki]);
                std::cout << format(" %7.2f%%", 100 * (worst ? w : sum / double(std::max<std::size_t>(1, runs.size()))));
            }
        }
    };
    style_table([](const Style& st) { return st.before; }, [](const Run& r) { return r.after; });
    rows(mnist_name, mnist_before, [](const Run& r) { return r.mnist_after; });
    std::cout << "\n" << format("%-32s %8s", "seconds, median", "");
    for (std::size_t ki = 0; ki < o.ks.size(); ++ki) {
        std::vector<double> s;
        for (const auto& rs : runs) s.push_back(rs[ki].seconds);
        std::cout << format(" %7.2fs", median(s));
    }
    std::cout << "\n";
    if (!gate) return 0;

    // The pair: accepted and read right (digits), rejected (the rest).
    std::cout << "\nWith the gate " << o.gate << ", adapted too (" << cnn::describe(gate_tune)
              << "), decided as a pair: digits accepted and read right, the rest rejected.\n\n";
    style_table([](const Style& st) { return st.pair_before; }, [](const Run& r) { return r.pair_after; });
    rows(mnist_name, pair_before_sets[0], [](const Run& r) { return r.mnist_pair_after; });
    for (std::size_t pi = 1; pi < pair_sets.size(); ++pi)
        rows(pair_sets[pi].name + " rejected", pair_before_sets[pi], [pi](const Run& r) { return r.rejected[pi - 1]; });
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
    cmd->add_option("--gate", o->gate,
                    "A calibrated eleven-output \"not a digit\" model (e.g. weights/robust-nd.dcnn) that vetoes --weights: "
                    "it is adapted too, and the pair is measured, as the page's \"Robust, honest\" adapts");
    auto* ni = cmd->add_option("--negative-images", o->negative_images,
                               "With --gate: the drawings that are not digits it replays while adapting (e.g. "
                               "weights/gate-negatives-images-idx3-ubyte.gz)");
    auto* nl = cmd->add_option("--negative-labels", o->negative_labels, "Their labels");
    ni->needs(nl);
    nl->needs(ni);
    cmd->add_option("--gate-blend", o->gate_blend, "With --gate: the gate's blend, if not the reader's (for choosing)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--gate-examples-per-batch", o->gate_examples,
                    "With --gate: the gate's examples per batch, if not the reader's (for choosing)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--gate-negatives-per-batch", o->gate_negatives,
                    "With --gate: the gate's negatives per batch, if not core's (for choosing)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--negatives-count", o->negatives_count, "With --gate: samples per negative set read")
        ->check(CLI::Range(10, 100000))
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Machine-readable output");
    add_threads_option(cmd, o->threads);
    return {cmd, [o] { return run_bench(*o); }};
}

}  // namespace tools
