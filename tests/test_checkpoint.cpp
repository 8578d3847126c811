// Resumable checkpoints: a run stopped anywhere (mid-epoch included), saved to a file, and
// continued by a fresh Trainer reaches bit-identical weights; divergence keeps the last good
// checkpoints; corrupt or mismatched checkpoints get precise errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <limits>

#include "cnn/base/error.hpp"
#include "cnn/io/checkpoint.hpp"
#include "cnn/io/file_io.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;

namespace {

const char* kSpec =
    "input 12x12x1 | conv 6 k3 same | relu | maxpool 2 | flatten | dense 16 | relu | dropout 0.3 | dense 4";

struct Run {
    std::vector<float> values;
    History history;
};

// Trains to the end without interruption.
Run uninterrupted(const Dataset& train, const Dataset& val, const TrainOptions& o, ThreadPool* pool = nullptr) {
    Model m = Model::from_spec(kSpec, 9);
    Trainer t(m, train, &val, o, pool);
    while (!t.done()) t.run(1000);
    return {m.get_values(), t.history()};
}

// Trains `first` batches, saves a checkpoint file, and continues from the file with a new model
// and a new Trainer (as a new process would), on a thread pool of another size.
Run resumed(const Dataset& train, const Dataset& val, const TrainOptions& o, int first, const std::string& path) {
    {
        Model m = Model::from_spec(kSpec, 9);
        Trainer t(m, train, &val, o);
        t.run(first);
        REQUIRE_FALSE(t.done());
        save_checkpoint(path, m, t.state(), "{\"note\":\"test\"}");
    }
    Checkpoint ck = load_checkpoint(path);
    CHECK(ck.metadata == "{\"note\":\"test\"}");
    ThreadPool pool(2);
    Trainer t(ck.model, train, &val, o, &pool);
    t.restore(ck.state);
    while (!t.done()) t.run(3);
    return {ck.model.get_values(), t.history()};
}

void check_same_history(const History& a, const History& b) {
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (std::size_t i = 0; i < a.epochs.size(); ++i) {
        CHECK(a.epochs[i].loss == b.epochs[i].loss);
        CHECK(a.epochs[i].accuracy == b.epochs[i].accuracy);
        CHECK(a.epochs[i].val_loss == b.epochs[i].val_loss);
        CHECK(a.epochs[i].improved == b.epochs[i].improved);
    }
    CHECK(a.best_epoch == b.best_epoch);
    CHECK(a.stopped_early == b.stopped_early);
}

std::string temp(const std::string& name) { return "/tmp/cnn_test_ckpt_" + name; }

}  // namespace

TEST_CASE("a run resumed from a checkpoint reaches exactly the uninterrupted weights (Adam)") {
    const Dataset train = cnn_test::synthetic_bars(300, 4, 5), val = cnn_test::synthetic_bars(60, 4, 6);
    TrainOptions o;
    o.epochs = 3;
    o.batch_size = 32;  // 10 batches per epoch, the last one of 12 samples
    o.seed = 11;
    const Run full = uninterrupted(train, val, o);
    // Mid-epoch, at an epoch boundary, just after one, and in the last epoch.
    for (int first : {1, 7, 10, 11, 24}) {
        INFO("stopped after " << first << " batches");
        const Run r = resumed(train, val, o, first, temp("adam.resume"));
        CHECK(r.values == full.values);
        check_same_history(r.history, full.history);
    }
}

TEST_CASE("a resumed run with SGD momentum, early stopping and restore-best matches too") {
    const Dataset train = cnn_test::synthetic_bars(200, 4, 7);
    // Validation labels that contradict the pattern: val_loss rises, early stopping triggers.
    Dataset val = cnn_test::synthetic_bars(50, 4, 8);
    for (auto& l : val.labels) l = std::uint8_t((l + 1) % 4);
    TrainOptions o;
    o.epochs = 30;
    o.patience = 2;
    o.batch_size = 25;
    o.optimizer = "sgd";
    o.learning_rate = 0.05f;
    o.momentum = 0.9f;
    const Run full = uninterrupted(train, val, o);
    REQUIRE(full.history.stopped_early);
    const int per_epoch = 8;
    for (int first : {3, per_epoch * int(full.history.epochs.size() - 1) + 5}) {
        INFO("stopped after " << first << " batches");
        const Run r = resumed(train, val, o, first, temp("sgd.resume"));
        CHECK(r.values == full.values);
        check_same_history(r.history, full.history);
    }
}

TEST_CASE("non-finite weights stop training and the last good checkpoints stay on disk") {
    const Dataset train = cnn_test::synthetic_bars(200, 4, 3), val = cnn_test::synthetic_bars(40, 4, 4);
    TrainOptions o;
    o.epochs = 5;
    o.batch_size = 25;  // 8 batches per epoch
    o.checkpoint_path = temp("best.dcnn");
    const std::string resume = temp("diverge.resume");
    std::remove(o.checkpoint_path.c_str());
    std::remove(resume.c_str());

    // Sets a weight to NaN after `batch` of epoch 3 (the output bias, so that the next loss is NaN:
    // ReLU maps NaN to 0, which can hide a bad weight deeper in the model until the epoch-end
    // check). The loop is the CLI's: one batch at a time, a resumable checkpoint after each epoch.
    const auto train_until_poisoned = [&](int batch, std::vector<float>& best, std::vector<float>& last_epoch) {
        Model m = Model::from_spec(kSpec, 2);
        Trainer t(m, train, &val, o);
        TrainCallbacks cb;
        cb.on_epoch = [&](const EpochStats& s) {
            if (s.improved) best = m.get_values();
        };
        cb.on_batch = [&](const Progress& p) {
            if (p.epoch == 3 && p.batch == batch) m.params().back().value[0] = std::numeric_limits<float>::quiet_NaN();
        };
        std::size_t epochs = 0;
        try {
            while (!t.done()) {
                t.run(1, cb);
                if (t.history().epochs.size() != epochs) {
                    epochs = t.history().epochs.size();
                    save_checkpoint(resume, m, t.state());
                    last_epoch = m.get_values();
                }
            }
        } catch (const Error& e) {
            // And a resumable checkpoint of the poisoned state is refused, keeping the last one.
            CHECK_THROWS_WITH(save_checkpoint(resume, m, t.state()),
                              Catch::Contains("non-finite") && Catch::Contains("previous checkpoint is kept"));
            throw;
        }
    };
    std::vector<float> best, last_epoch;
    // Mid-epoch: the next batch's loss is NaN.
    CHECK_THROWS_WITH(train_until_poisoned(4, best, last_epoch),
                      Catch::Contains("training diverged: loss is") && Catch::Contains("epoch 3, batch 5"));
    REQUIRE_FALSE(best.empty());
    CHECK(load_weights(o.checkpoint_path).get_values() == best);
    Checkpoint ck = load_checkpoint(resume);
    CHECK(ck.model.get_values() == last_epoch);
    CHECK(ck.state.progress.epoch == 2);
    // The last good state resumes (and, with the same settings, would train on from epoch 3).
    Trainer t(ck.model, train, &val, o);
    CHECK_NOTHROW(t.restore(ck.state));

    // After the last batch of an epoch: the end-of-epoch weight check catches it.
    CHECK_THROWS_WITH(train_until_poisoned(8, best, last_epoch),
                      Catch::Contains("dense2.bias holds a non-finite value after epoch 3"));
    CHECK(load_weights(o.checkpoint_path).get_values() == best);
    CHECK(load_checkpoint(resume).model.get_values() == last_epoch);
}

TEST_CASE("a checkpoint that does not fit the run is refused with the difference named") {
    const Dataset train = cnn_test::synthetic_bars(100, 4, 1), val = cnn_test::synthetic_bars(20, 4, 2);
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 16;
    Model m = Model::from_spec(kSpec, 1);
    Trainer t(m, train, &val, o);
    t.run(3);
    const TrainerState s = t.state();

    const auto refused = [&](const TrainOptions& other, const Dataset& data) {
        Model fresh = Model::from_spec(kSpec, 1);
        Trainer u(fresh, data, &val, other);
        try {
            u.restore(s);
        } catch (const CheckpointError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    TrainOptions other = o;
    other.batch_size = 32;
    CHECK(refused(other, train) == "checkpoint does not fit this run: it was made with batch size 16, this run has 32");
    other = o;
    other.learning_rate = 0.01f;
    CHECK_THAT(refused(other, train), Catch::Contains("learning rate 0.001, this run has 0.01"));
    other = o;
    other.epochs = 5;  // more epochs are fine
    CHECK(refused(other, train) == "no error");
    Dataset changed = train;
    changed.labels[3] = std::uint8_t((changed.labels[3] + 1) % 4);
    CHECK_THAT(refused(o, changed), Catch::Contains("it was made with training data 100 images of 12x12x1, CRC-32"));

    // Inconsistent states: out-of-range positions, a sample order that is not a permutation.
    const auto inconsistent = [&](TrainerState bad) {
        Model fresh = Model::from_spec(kSpec, 1);
        Trainer u(fresh, train, &val, o);
        try {
            u.restore(bad);
        } catch (const CheckpointError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    TrainerState bad = s;
    bad.progress.order[5] = bad.progress.order[6];
    CHECK_THAT(inconsistent(bad), Catch::Contains("not a permutation"));
    bad = s;
    bad.progress.order[0] = 100000;
    CHECK_THAT(inconsistent(bad), Catch::Contains("not a permutation"));
    bad = s;
    bad.progress.batch = 99;
    CHECK_THAT(inconsistent(bad), Catch::Contains("batch 99 is out of range"));
    bad = s;
    bad.progress.seen = 5;
    CHECK_THAT(inconsistent(bad), Catch::Contains("running counts"));
    bad = s;
    bad.rng = {{0, 0, 0, 0}};
    CHECK_THAT(inconsistent(bad), Catch::Contains("all zero"));
    bad = s;
    bad.optimizer_state[0] = std::numeric_limits<double>::quiet_NaN();
    CHECK_THAT(inconsistent(bad), Catch::Contains("optimizer state is corrupt"));
    bad = s;
    bad.optimizer_state.resize(bad.optimizer_state.size() / 2);
    CHECK_THAT(inconsistent(bad), Catch::Contains("optimizer state"));
    bad = s;
    bad.settings.pop_back();
    CHECK_THAT(inconsistent(bad), Catch::Contains("does not record the"));
}

TEST_CASE("corrupt checkpoint files get precise errors") {
    const Dataset train = cnn_test::synthetic_bars(60, 4, 1), val = cnn_test::synthetic_bars(20, 4, 2);
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 16;
    Model m = Model::from_spec(kSpec, 1);
    Trainer t(m, train, &val, o);
    t.run(5);
    const auto good = encode_checkpoint(m, t.state());
    const auto error = [](const std::vector<std::uint8_t>& b) {
        try {
            decode_checkpoint(b.data(), b.size());
        } catch (const CheckpointError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error(good) == "no error");
    CHECK_THAT(error({}), Catch::Contains("not a digit-cnn training checkpoint"));
    const auto weights = encode_weights(m);
    CHECK_THAT(error(weights), Catch::Contains("bad magic"));
    auto b = good;
    b[8] = 7;
    CHECK_THAT(error(b), Catch::Contains("unsupported checkpoint format version 7"));
    CHECK_THAT(error({good.begin(), good.begin() + 14}), Catch::Contains("truncated at byte 14"));
    CHECK_THAT(error({good.begin(), good.end() - 100}), Catch::Contains("checksum mismatch") &&
                                                            Catch::Contains("corrupt or truncated"));
    b = good;
    b[good.size() / 2] ^= 0x10;
    CHECK_THAT(error(b), Catch::Contains("checksum mismatch"));
    // Files on disk: the path is named, and a weights file is not mistaken for a checkpoint.
    write_file_atomic(temp("weights.dcnn"), weights.data(), weights.size());
    CHECK_THROWS_WITH(load_checkpoint(temp("weights.dcnn")),
                      Catch::StartsWith("'" + temp("weights.dcnn") + "': not a digit-cnn training checkpoint"));
}
