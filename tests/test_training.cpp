// The training loop: learning, determinism, early stopping with restore-best and checkpoint,
// progress callbacks, cancellation, and a short real MNIST run.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "cnn/base/error.hpp"
#include "cnn/io/idx.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {
const char* kBarsSpec = "input 12x12x1 | conv 8 k3 same | relu | maxpool 2 | flatten | dense 32 | relu | dense 4";
}

TEST_CASE("a small CNN learns synthetic bars") {
    const Dataset train = cnn_test::synthetic_bars(800, 4, 1);
    const Dataset test = cnn_test::synthetic_bars(200, 4, 2);
    Model m = Model::from_spec(kBarsSpec, 3);
    const double before = evaluate(m, test).accuracy;
    TrainOptions o;
    o.epochs = 4;
    o.batch_size = 32;
    const History h = fit(m, train, nullptr, o);
    REQUIRE(h.epochs.size() == 4);
    CHECK(h.epochs.back().loss < h.epochs.front().loss);
    CHECK(h.epochs.back().has_validation);
    const double after = evaluate(m, test).accuracy;
    INFO("accuracy before " << before << ", after " << after);
    CHECK(after > 0.9);
}

TEST_CASE("a small CNN with a residual connection learns synthetic bars") {
    const Dataset train = cnn_test::synthetic_bars(800, 4, 1);
    const Dataset test = cnn_test::synthetic_bars(200, 4, 2);
    Model m = Model::from_spec("input 12x12x1 | conv 8 k3 same | relu | skip | conv 8 k3 same | batchnorm | relu | "
                               "conv 8 k3 same | add | relu | maxpool 2 | flatten | dense 32 | relu | dense 4",
                               3);
    const double before = evaluate(m, test).accuracy;
    TrainOptions o;
    o.epochs = 4;
    o.batch_size = 32;
    const History h = fit(m, train, nullptr, o);
    CHECK(h.epochs.back().loss < h.epochs.front().loss);
    const double after = evaluate(m, test).accuracy;
    INFO("accuracy before " << before << ", after " << after);
    CHECK(after > 0.9);
}

TEST_CASE("training is deterministic for a seed, and independent of the thread count") {
    const Dataset train = cnn_test::synthetic_bars(300, 4, 5);
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 20;
    o.seed = 77;
    const std::string dropout = std::string(kBarsSpec).replace(std::string(kBarsSpec).find("| dense 4"), 9,
                                                               "| dropout 0.3 | dense 4");
    const std::string residual = "input 12x12x1 | conv 8 k3 same | relu | skip | conv 8 k3 same | batchnorm | relu | "
                                 "add | maxpool 2 | flatten | dense 32 | relu | dropout 0.3 | dense 4";
    for (const std::string& spec : {dropout, residual}) {
        INFO(spec);
        auto run = [&](int threads, std::uint64_t seed) {
            ThreadPool pool(threads);
            Model m = Model::from_spec(spec, 9);
            TrainOptions oo = o;
            oo.seed = seed;
            fit(m, train, nullptr, oo, &pool);
            return m.get_values();
        };
        const auto a = run(1, 77);
        CHECK(a == run(1, 77));
        CHECK(a == run(2, 77));
        CHECK(a != run(2, 78));
    }
}

TEST_CASE("data held as bytes trains and evaluates exactly like the same data as floats") {
    // Byte images and the float data make_dataset makes from them.
    const Dataset bars = cnn_test::synthetic_bars(300, 4, 11);
    std::vector<std::uint8_t> bytes(bars.images.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::uint8_t(std::lround(bars.images[i] * 255.0f));
    const Dataset floats = make_dataset(bars.n, bars.shape, bytes.data(), bars.labels.data(), 4);
    const Dataset packed = make_byte_dataset(bars.shape, bytes, bars.labels, 4);
    REQUIRE(packed.holds_bytes());
    REQUIRE(packed.images.empty());
    CHECK_THROWS_WITH(packed.image(0), Catch::Contains("held as bytes"));
    std::vector<float> a(3 * bars.shape.size()), b(a.size());
    floats.copy_images(5, 3, a.data());
    packed.copy_images(5, 3, b.data());
    CHECK(a == b);
    const Dataset tail = slice(packed, 250, 50);
    CHECK((tail.holds_bytes() && tail.n == 50 && tail.labels[0] == packed.labels[250]));

    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 20;
    o.augment_enabled = true;  // gathers and distorts every batch
    auto run = [&](const Dataset& d) {
        Model m = Model::from_spec(kBarsSpec, 9);
        const History h = fit(m, d, nullptr, o);
        const Evaluation ev = evaluate(m, d);
        return std::make_tuple(m.get_values(), h.epochs.back().val_loss, ev.loss, ev.predictions);
    };
    CHECK(run(floats) == run(packed));

    CHECK_THROWS_WITH(make_byte_dataset(bars.shape, std::vector<std::uint8_t>(10), bars.labels, 4),
                      Catch::Contains("300 labels need 43200 bytes of 12x12x1 images, got 10"));
    std::vector<std::uint8_t> bad_labels = bars.labels;
    bad_labels[7] = 9;
    CHECK_THROWS_WITH(make_byte_dataset(bars.shape, bytes, bad_labels, 4),
                      Catch::Contains("label 9 of sample 7 is out of range for 4 classes"));
}

TEST_CASE("early stopping restores the best epoch and the checkpoint holds it") {
    const Dataset train = cnn_test::synthetic_bars(400, 4, 7);
    // Validation labels that contradict the pattern: val_loss rises as the model learns.
    Dataset val = cnn_test::synthetic_bars(100, 4, 8);
    for (auto& l : val.labels) l = std::uint8_t((l + 1) % 4);
    Model m = Model::from_spec(kBarsSpec, 3);
    TrainOptions o;
    o.epochs = 30;
    o.patience = 2;
    o.batch_size = 32;
    o.checkpoint_path = "/tmp/cnn_test_best.dcnn";
    std::remove(o.checkpoint_path.c_str());
    const History h = fit(m, train, &val, o);
    REQUIRE(h.stopped_early);
    REQUIRE(h.best_epoch >= 1);
    CHECK(int(h.epochs.size()) == h.best_epoch + o.patience);
    double best = 1e9;
    for (const auto& e : h.epochs) best = std::min(best, e.val_loss);
    CHECK(h.epochs[h.best_epoch - 1].val_loss == best);
    CHECK(h.epochs[h.best_epoch - 1].improved);
    // The restored model is the checkpointed one, and it reproduces the best val_loss.
    CHECK(load_weights(o.checkpoint_path).get_values() == m.get_values());
    CHECK(evaluate(m, val).loss == Approx(best).epsilon(1e-6));
}

TEST_CASE("progress is reported per batch and training can be cancelled") {
    const Dataset train = cnn_test::synthetic_bars(500, 4, 9);
    Model m = Model::from_spec(kBarsSpec, 3);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 50;
    o.validation_split = 0.2;  // 400 train -> 8 batches per epoch
    Trainer t(m, train, nullptr, o);
    CHECK(t.train_set().n == 400);
    REQUIRE(t.validation_set() != nullptr);
    CHECK(t.validation_set()->n == 100);
    std::vector<Progress> seen;
    int epochs_seen = 0;
    TrainCallbacks cb;
    cb.on_batch = [&](const Progress& p) {
        seen.push_back(p);
        if (p.epoch == 2 && p.batch == 3) t.cancel();
    };
    cb.on_epoch = [&](const EpochStats&) { ++epochs_seen; };
    while (!t.done()) t.run(5, cb);
    CHECK(t.history().cancelled);
    CHECK(epochs_seen == 1);
    REQUIRE(seen.size() == 11);  // 8 in epoch 1, 3 in epoch 2
    CHECK(seen[0].batch == 1);
    CHECK(seen[7].batch == 8);
    CHECK(seen[7].batches == 8);
    CHECK(seen[8].epoch == 2);
    for (const auto& p : seen) {
        CHECK(p.loss > 0);
        CHECK(p.accuracy >= 0);
        CHECK(p.accuracy <= 1);
    }
}

TEST_CASE("bad training options are refused clearly") {
    const Dataset train = cnn_test::synthetic_bars(50, 4, 1);
    Model m = Model::from_spec(kBarsSpec, 3);
    TrainOptions o;
    o.batch_size = 0;
    CHECK_THROWS_WITH(fit(m, train, nullptr, o), Catch::Contains("batch size"));
    Model wrong = Model::from_spec("conv 4 k3 | flatten | dense 4", 1);  // expects 28x28x1
    CHECK_THROWS_WITH(fit(wrong, train, nullptr, TrainOptions{}), Catch::Contains("the model expects 28x28x1"));
    o = TrainOptions{};
    o.optimizer = "sgd";
    o.learning_rate = 1e30f;  // diverges
    o.epochs = 3;
    CHECK_THROWS_WITH(fit(m, train, nullptr, o), Catch::Contains("diverged"));
}

TEST_CASE("a model that does not output one score per class is refused before training") {
    const Dataset train = cnn_test::synthetic_bars(40, 4, 1);  // 4 classes
    REQUIRE(train.classes == 4);
    const auto refused = [&](const std::string& spec) {
        Model m = Model::from_spec(spec, 1);
        const std::vector<float> before = m.get_values();
        std::string message;
        try {
            Trainer t(m, train, nullptr, TrainOptions{});
        } catch (const Error& e) {
            message = e.what();
        }
        CHECK(m.get_values() == before);  // nothing trained
        return message;
    };
    // Feature maps: 10x10x8 against 4 labels would "train" a 800-way softmax.
    const std::string maps = refused("input 12x12x1 | conv 8 k3");
    CHECK_THAT(maps, Catch::Contains("the model's output is 10x10x8") &&
                         Catch::Contains("end the spec with '... | flatten | dense 4'"));
    // A vector of the wrong length, shorter or longer than the class count.
    CHECK_THAT(refused("input 12x12x1 | flatten | dense 3"),
               Catch::Contains("the model has 3 outputs but the data has 4 classes") &&
                   Catch::Contains("'... | dense 4'"));
    CHECK_THAT(refused("input 12x12x1 | flatten"), Catch::Contains("the model has 144 outputs but the data has 4 classes"));
    CHECK_THAT(refused("input 12x12x1 | flatten | dense 5"), Catch::Contains("5 outputs"));
    // One score per class, however it is made, is accepted.
    CHECK(refused("input 12x12x1 | flatten | dense 4").empty());
    CHECK(refused("input 12x12x1 | conv 4 k12 valid").empty());  // 1x1x4
    CHECK(refused("input 12x12x1 | conv 4 k3 | gap").empty());
    CHECK_NOTHROW(check_model_output(Model::from_spec("input 12x12x1 | flatten | dense 4"), 4));
    CHECK_THROWS_WITH(check_model_output(Model::from_spec("input 12x12x1 | flatten | dense 4"), 10),
                      Catch::Contains("the model has 4 outputs but the data has 10 classes"));
}

TEST_CASE("the class count comes from the data: ten digits joined with 'not a digit' samples make 11") {
    const Dataset digits = cnn_test::synthetic_bars(60, 10, 2);
    CHECK(digits.classes == 10);
    std::vector<std::uint8_t> pixels(std::size_t(20) * digits.shape.size(), 0);
    const Dataset negatives = make_byte_dataset(digits.shape, pixels, std::vector<std::uint8_t>(20, 10), 11);
    CHECK(negatives.classes == 11);
    std::vector<std::uint8_t> digit_pixels(std::size_t(digits.n) * digits.shape.size(), 0);
    const Dataset digit_bytes = make_byte_dataset(digits.shape, digit_pixels, digits.labels, 10);
    const Dataset both = concat(digit_bytes, negatives);
    CHECK(both.classes == 11);
    CHECK(slice(both, 0, 5).classes == 11);
    CHECK(split_validation(both, 0.1).second.classes == 11);
    const char* spec11 = "input 12x12x1 | flatten | dense 11";
    Model m = Model::from_spec(spec11, 1);
    TrainOptions o;
    o.epochs = 1;
    CHECK_NOTHROW(fit(m, both, nullptr, o));
    // The same model on digits alone has an output no label can ever train.
    Model digits_only = Model::from_spec(spec11, 1);
    CHECK_THROWS_WITH(Trainer(digits_only, digit_bytes, nullptr, o),
                      Catch::Contains("the model has 11 outputs but the data has 10 classes"));
    // 11 classes in the validation data only (e.g. negatives held out) count too.
    Model ten = Model::from_spec("input 12x12x1 | flatten | dense 10", 1);
    CHECK_THROWS_WITH(Trainer(ten, digit_bytes, &both, o),
                      Catch::Contains("the model has 10 outputs but the data has 11 classes"));
}

TEST_CASE("labels beyond the data's class count are refused before training") {
    Dataset train = cnn_test::synthetic_bars(40, 4, 1);
    train.labels[17] = 6;  // built by hand, not by make_dataset, so nothing checked it yet
    Model m = Model::from_spec("input 12x12x1 | flatten | dense 4", 1);
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, TrainOptions{}),
                      Catch::Contains("training label 6 of sample 17 is out of range for 4 classes"));
    TrainOptions o;
    o.validation_split = 0;
    Dataset val = cnn_test::synthetic_bars(10, 4, 2);
    val.labels[3] = 9;
    CHECK_THROWS_WITH(Trainer(m, cnn_test::synthetic_bars(40, 4, 1), &val, o),
                      Catch::Contains("validation label 9 of sample 3"));
}

TEST_CASE("a checkpoint path that cannot be written is refused before training") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "cnn_test_unwritable";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path file = dir / "plain-file";
    std::ofstream(file) << "not a folder";
    const Dataset train = cnn_test::synthetic_bars(40, 4, 1);
    Model m = Model::from_spec("input 12x12x1 | flatten | dense 4", 1);
    const std::vector<float> before = m.get_values();
    TrainOptions o;
    // Under a regular file: no user (root included) can create anything there.
    o.checkpoint_path = (file / "best.dcnn").string();
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, o),
                      Catch::Contains("cannot write '" + o.checkpoint_path + "': creating a file in '" +
                                      file.string() + "/' failed: Not a directory"));
    // A folder where the file should go.
    o.checkpoint_path = dir.string();
    CHECK_THROWS_WITH(Trainer(m, train, nullptr, o), Catch::Contains("it is a directory"));
    CHECK(m.get_values() == before);
    // A writable place is accepted, and the probe leaves nothing behind.
    o.checkpoint_path = (dir / "best.dcnn").string();
    CHECK_NOTHROW(Trainer(m, train, nullptr, o));
    CHECK(!fs::exists(dir / "best.dcnn"));
    CHECK(!fs::exists(dir / "best.dcnn.tmp"));
    fs::remove_all(dir);
}

TEST_CASE("the seed model learns real MNIST from 2,000 images in three epochs", "[mnist]") {
    const std::string ti = cnn_test::mnist_path("train-images-idx3-ubyte");
    const std::string tl = cnn_test::mnist_path("train-labels-idx1-ubyte");
    const std::string vi = cnn_test::mnist_path("t10k-images-idx3-ubyte");
    const std::string vl = cnn_test::mnist_path("t10k-labels-idx1-ubyte");
    if (ti.empty() || vi.empty()) {
        cnn_test::missing_data("MNIST (run scripts/get-mnist.sh)");
        return;
    }
    const Dataset train = slice(load_idx_dataset(ti, tl), 0, 2000);
    const Dataset test = slice(load_idx_dataset(vi, vl), 0, 2000);
    Model m = Model::from_spec(kSeedSpec, 1);
    ThreadPool pool(2);
    TrainOptions o;
    o.epochs = 3;
    const History h = fit(m, train, nullptr, o, &pool);
    const Evaluation ev = evaluate(m, test, &pool);
    INFO("val accuracy " << h.epochs.back().val_accuracy << ", test accuracy " << ev.accuracy);
    CHECK(ev.accuracy > 0.85);
    CHECK(h.epochs.back().val_accuracy > 0.8);
}
