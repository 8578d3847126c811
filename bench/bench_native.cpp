// digit-cnn-bench: measures what a user waits for. Prints one JSON object per measurement so
// that scripts can compare against peers run in the same invocation. Medians over repeats.
//
//   digit-cnn-bench [--what train,infer1,infer1noise,infer1000,layers,gemm] [--threads 2]
//                   [--batch 64] [--repeats 5] [--spec SPEC] [--data data/mnist]
//                   [--weights FILE|none]
//
// Inference runs a trained model, as users do: --weights, by default weights/seed.dcnn when the
// spec is the seed model's ("none": freshly initialised weights). Its time depends on the image
// (runs of identical conv windows and inputs that are zero in a dense layer are skipped): infer1
// cycles through real digits, infer1noise times images of uniform random pixels.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "cnn/base/error.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/loss.hpp"
#include "cnn/model/model.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/optimizer.hpp"
#include "cnn/training/trainer.hpp"

using namespace cnn;

namespace {

struct Options {
    std::string what = "train,infer1,infer1000,gemm";
    int threads = 2;
    int batch = 64;
    int repeats = 5;
    std::string spec = kSeedSpec;
    std::string data = "data/mnist";
    std::string weights = "auto";
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string list(const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", v[i]);
        s += buf;
    }
    return s + "]";
}

// Real MNIST training images if present (the benchmark should see real data), else random.
Dataset bench_data(const Options& o, const Shape& shape, int n) {
    const std::string images = o.data + "/train-images-idx3-ubyte", labels = o.data + "/train-labels-idx1-ubyte";
    if (shape == Shape{28, 28, 1} && std::ifstream(images).good()) return slice(load_idx_dataset(images, labels), 0, n);
    Dataset d;
    d.n = n;
    d.shape = shape;
    Rng rng(1);
    d.images.resize(std::size_t(n) * shape.size());
    for (auto& v : d.images) v = rng.uniform();
    d.labels.resize(n);
    for (auto& l : d.labels) l = std::uint8_t(rng.below(10));
    return d;
}

void bench_train(const Options& o) {
    Model model = Model::from_spec(o.spec, 1);
    const int batches = 100;
    const Dataset data = bench_data(o, model.input_shape(), o.batch * batches);
    ThreadPool pool(o.threads);
    Rng rng(1);
    Context ctx{Mode::Train, &rng, &pool};
    Adam adam;
    Tensor x, dlogits;
    std::vector<std::uint8_t> y;
    std::vector<int> idx(data.n);
    for (int i = 0; i < data.n; ++i) idx[i] = i;
    auto step = [&](int b) {
        gather_batch(data, idx.data() + b * o.batch, o.batch, x, y);
        const Tensor& logits = model.forward(x, ctx);
        softmax_cross_entropy(logits, y.data(), &dlogits);
        model.backward(dlogits, ctx);
        adam.step(model.params());
    };
    for (int b = 0; b < 10; ++b) step(b);  // warm-up: buffers sized, caches hot
    std::vector<double> rates;
    for (int r = 0; r < o.repeats; ++r) {
        const double t0 = now_seconds();
        for (int b = 0; b < batches; ++b) step(b);
        rates.push_back(double(batches) * o.batch / (now_seconds() - t0));
    }
    std::printf("{\"bench\": \"train\", \"impl\": \"digit-cnn\", \"threads\": %d, \"batch\": %d, "
                "\"images_per_second\": %.1f, \"runs\": %s}\n",
                o.threads, o.batch, median(rates), list(rates).c_str());
}

// The model the inference benchmarks run, and where its weights came from.
Model inference_model(const Options& o, std::string& source) {
    std::string path = o.weights;
    if (path == "auto") path = o.spec == kSeedSpec && std::ifstream("weights/seed.dcnn").good() ? "weights/seed.dcnn" : "none";
    if (path == "none") {
        source = "init";
        return Model::from_spec(o.spec, 1);
    }
    Model m = load_weights(path);
    const ParsedSpec wanted = parse_spec(o.spec);
    if (m.spec() != spec_to_string(wanted.input, wanted.layers))
        throw Error("--weights " + path + " holds '" + m.spec() + "', not the benchmarked spec");
    source = path;
    return m;
}

// Batch-1 latency over 1000 images, median of per-call times; `noise`: uniform random pixels.
void bench_infer1(const Options& o, bool noise) {
    std::string source;
    Model model = inference_model(o, source);
    Dataset data = bench_data(o, model.input_shape(), 1000);
    if (noise) {
        Rng rng(7);
        for (auto& v : data.images) v = rng.uniform();
    }
    ThreadPool pool(o.threads);
    std::vector<float> probs(model.classes());
    std::vector<double> runs;
    for (int r = 0; r < o.repeats; ++r) {
        std::vector<double> calls;
        for (int i = 0; i < 1000; ++i) {
            const double t0 = now_seconds();
            model.predict(data.image(i), 1, probs.data(), &pool);
            calls.push_back((now_seconds() - t0) * 1e3);
        }
        runs.push_back(median(calls));
    }
    std::printf("{\"bench\": \"%s\", \"impl\": \"digit-cnn\", \"threads\": %d, \"weights\": \"%s\", "
                "\"median_ms\": %.4f, \"runs\": %s}\n",
                noise ? "infer1noise" : "infer1", o.threads, source.c_str(), median(runs), list(runs).c_str());
}

void bench_infer1000(const Options& o) {
    std::string source;
    Model model = inference_model(o, source);
    const Dataset data = bench_data(o, model.input_shape(), 1000);
    ThreadPool pool(o.threads);
    std::vector<float> probs(std::size_t(1000) * model.classes());
    model.predict(data.images.data(), 1000, probs.data(), &pool);
    std::vector<double> rates;
    for (int r = 0; r < o.repeats; ++r) {
        const double t0 = now_seconds();
        model.predict(data.images.data(), 1000, probs.data(), &pool);
        rates.push_back(1000.0 / (now_seconds() - t0));
    }
    std::printf("{\"bench\": \"infer1000\", \"impl\": \"digit-cnn\", \"threads\": %d, \"weights\": \"%s\", "
                "\"images_per_second\": %.1f, \"runs\": %s}\n",
                o.threads, source.c_str(), median(rates), list(rates).c_str());
}

// Per-layer forward/backward milliseconds for one training batch: where the time goes.
void bench_layers(const Options& o) {
    Model model = Model::from_spec(o.spec, 1);
    const Dataset data = bench_data(o, model.input_shape(), o.batch);
    ThreadPool pool(o.threads);
    Rng rng(1);
    Context ctx{Mode::Train, &rng, &pool};
    std::vector<Tensor> acts(model.layer_count() + 1), grads(model.layer_count() + 1);
    acts[0].resize(o.batch, model.input_shape());
    std::copy(data.images.begin(), data.images.end(), acts[0].data());
    std::vector<std::vector<double>> fwd(model.layer_count()), bwd(model.layer_count());
    for (int r = 0; r < 20 + o.repeats * 10; ++r) {
        for (std::size_t i = 0; i < model.layer_count(); ++i) {
            const double t0 = now_seconds();
            model.layer(i).forward(acts[i], acts[i + 1], ctx);
            if (r >= 20) fwd[i].push_back((now_seconds() - t0) * 1e3);
        }
        grads.back() = acts.back();
        for (std::size_t i = model.layer_count(); i-- > 0;) {
            const double t0 = now_seconds();
            model.layer(i).backward(acts[i], acts[i + 1], grads[i + 1], i ? &grads[i] : nullptr, ctx);
            if (r >= 20) bwd[i].push_back((now_seconds() - t0) * 1e3);
        }
    }
    // The minimum is printed too: on a shared machine it is the closest to the undisturbed time.
    for (std::size_t i = 0; i < model.layer_count(); ++i)
        std::printf("{\"bench\": \"layer\", \"layer\": \"%s\", \"spec\": \"%s\", \"forward_ms\": %.4f, "
                    "\"backward_ms\": %.4f, \"forward_min_ms\": %.4f, \"backward_min_ms\": %.4f}\n",
                    model.layer(i).name().c_str(), model.layer(i).spec().c_str(), median(fwd[i]), median(bwd[i]),
                    *std::min_element(fwd[i].begin(), fwd[i].end()), *std::min_element(bwd[i].begin(), bwd[i].end()));
}

// Single-precision GEMM rate of Eigen on this machine, split over the thread pool by column
// blocks: the ceiling our GEMM-based layers work against.
void bench_gemm(const Options& o) {
    ThreadPool pool(o.threads);
    for (int n : {256, 1024}) {
        using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        M a = M::Random(n, n), b = M::Random(n, n), c(n, n);
        const int block = n / std::max(1, o.threads);
        auto run = [&] {
            pool.run(o.threads, [&](int t) {
                c.middleCols(t * block, block).noalias() = a * b.middleCols(t * block, block);
            });
        };
        run();
        std::vector<double> rates;
        for (int r = 0; r < o.repeats; ++r) {
            const int reps = n == 256 ? 200 : 5;
            const double t0 = now_seconds();
            for (int i = 0; i < reps; ++i) run();
            rates.push_back(2.0 * n * n * double(n) * reps / (now_seconds() - t0) / 1e9);
        }
        std::printf("{\"bench\": \"gemm\", \"impl\": \"eigen\", \"n\": %d, \"threads\": %d, \"gflops\": %.1f, "
                    "\"runs\": %s}\n",
                    n, o.threads, median(rates), list(rates).c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "digit-cnn-bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--what") o.what = value();
        else if (a == "--threads") o.threads = std::atoi(value().c_str());
        else if (a == "--batch") o.batch = std::atoi(value().c_str());
        else if (a == "--repeats") o.repeats = std::atoi(value().c_str());
        else if (a == "--spec") o.spec = value();
        else if (a == "--data") o.data = value();
        else if (a == "--weights") o.weights = value();
        else {
            std::fprintf(stderr,
                         "usage: digit-cnn-bench [--what train,infer1,infer1noise,infer1000,layers,gemm] "
                         "[--threads N] [--batch N] [--repeats N] [--spec SPEC] [--data DIR] "
                         "[--weights FILE|none]\n");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (o.threads < 1 || o.batch < 1 || o.repeats < 1) {
        std::fprintf(stderr, "digit-cnn-bench: threads, batch and repeats must be positive\n");
        return 2;
    }
    try {
        const std::string w = "," + o.what + ",";
        if (w.find(",gemm,") != std::string::npos) bench_gemm(o);
        if (w.find(",layers,") != std::string::npos) bench_layers(o);
        if (w.find(",train,") != std::string::npos) bench_train(o);
        if (w.find(",infer1,") != std::string::npos) bench_infer1(o, false);
        if (w.find(",infer1noise,") != std::string::npos) bench_infer1(o, true);
        if (w.find(",infer1000,") != std::string::npos) bench_infer1000(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "digit-cnn-bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
