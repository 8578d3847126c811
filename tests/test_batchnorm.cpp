// Batch normalisation and global average pooling: reference loops, gradient checks, moving
// statistics, spec and weights round trips, and optimizers leaving the statistics alone.
#include <catch2/catch.hpp>

#include <cmath>

#include "cnn/base/error.hpp"
#include "cnn/io/weights_io.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/layers/global_avg_pool.hpp"
#include "cnn/model/metrics.hpp"
#include "cnn/model/model.hpp"
#include "cnn/training/optimizer.hpp"
#include "cnn/training/trainer.hpp"
#include "test_util.hpp"

using namespace cnn;
using cnn_test::fill_random;
using cnn_test::require_close;

namespace {

// gamma and beta away from their initial 1 and 0, so that the checks see them act.
void randomise_affine(BatchNorm& bn, Rng& rng) {
    auto p = bn.params();
    for (std::size_t i = 0; i < p[0].size; ++i) p[0].value[i] = rng.uniform(0.5f, 1.5f);
    for (std::size_t i = 0; i < p[1].size; ++i) p[1].value[i] = rng.uniform(-0.5f, 0.5f);
}

Context train_context(ThreadPool* pool = nullptr) {
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.pool = pool;
    return ctx;
}
}  // namespace

TEST_CASE("batchnorm forward and backward match the reference loops, for any thread count") {
    // Per channel over n, h, w for conv outputs; per feature over the batch for dense outputs.
    for (const auto& [in, n] : {std::pair<Shape, int>{{5, 4, 6}, 3}, {{1, 1, 7}, 20}, {{3, 3, 2}, 17}}) {
        INFO("input " << in.str() << " x " << n);
        Rng rng(1);
        BatchNorm bn;
        bn.build(in, rng);
        randomise_affine(bn, rng);
        Tensor x(n, in);
        fill_random(x, rng, -2.0f, 3.0f);
        const int rows = n * in.h * in.w, C = in.c;
        auto p = bn.params();
        std::vector<float> ref_y(x.size()), mean(C), var(C);
        batchnorm_forward_reference(rows, C, x.data(), p[0].value, p[1].value, ref_y.data(), mean.data(), var.data());

        Tensor dy(n, in);
        fill_random(dy, rng);
        std::vector<float> ref_dx(x.size()), ref_dg(C), ref_db(C);
        batchnorm_backward_reference(rows, C, x.data(), p[0].value, dy.data(), ref_dx.data(), ref_dg.data(),
                                     ref_db.data());
        std::vector<std::vector<float>> results;
        ThreadPool two(2);
        for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
            BatchNorm layer;
            Rng r2(1);
            layer.build(in, r2);
            auto q = layer.params();
            std::copy(p[0].value, p[0].value + 2 * C, q[0].value);  // same gamma and beta
            Tensor y, dx;
            const Context ctx = train_context(pool);
            layer.forward(x, y, ctx);
            require_close(y.data(), ref_y.data(), y.size(), 1e-4f);
            // Moving statistics after one step from (0, 1): 1% of the batch's, the variance unbiased.
            for (int c = 0; c < C; ++c) {
                CHECK(q[2].value[c] == Approx(0.01 * mean[c]).margin(1e-6));
                CHECK(q[3].value[c] == Approx(0.99 + 0.01 * var[c] * rows / (rows - 1.0)).margin(1e-6));
            }
            layer.backward(x, y, dy, &dx, ctx);
            require_close(dx.data(), ref_dx.data(), dx.size(), 1e-4f);
            require_close(q[0].grad, ref_dg.data(), C, 1e-3f);
            require_close(q[1].grad, ref_db.data(), C, 1e-3f);
            std::vector<float> all = y.vec();
            all.insert(all.end(), dx.vec().begin(), dx.vec().end());
            all.insert(all.end(), q[0].grad, q[0].grad + 2 * C);
            results.push_back(all);
        }
        CHECK(results[0] == results[1]);  // bit-identical for 1 and 2 threads
    }
}

TEST_CASE("batchnorm in inference mode uses the moving statistics") {
    Rng rng(2);
    BatchNorm bn;
    const Shape in{2, 3, 4};
    bn.build(in, rng);
    randomise_affine(bn, rng);
    auto p = bn.params();
    for (int c = 0; c < 4; ++c) {
        p[2].value[c] = 0.3f * float(c) - 0.5f;
        p[3].value[c] = 0.5f + float(c);
    }
    Tensor x(3, in), y;
    fill_random(x, rng);
    Context ctx;  // Infer
    bn.forward(x, y, ctx);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = i % 4;
        const float expect = p[0].value[c] * (x[i] - p[2].value[c]) / std::sqrt(p[3].value[c] + 1e-3f) + p[1].value[c];
        REQUIRE(y[i] == Approx(expect).margin(1e-5));
    }
    CHECK(p[2].value[1] == 0.3f * 1.0f - 0.5f);  // inference leaves the statistics alone
    // backward needs the batch statistics of a training forward
    Tensor dx;
    CHECK_THROWS_WITH(bn.backward(x, y, y, &dx, ctx), Catch::Contains("training-mode forward"));
}

TEST_CASE("gradient check: batchnorm in training mode (input, gamma, beta)") {
    for (const auto& [in, n] : {std::pair<Shape, int>{{4, 3, 3}, 2}, {{1, 1, 6}, 8}}) {
        Rng rng(3);
        BatchNorm bn;
        bn.build(in, rng);
        randomise_affine(bn, rng);
        Tensor x(n, in);
        fill_random(x, rng);
        // Gradients flow through the batch mean and variance: every input moves every output of
        // its channel, which the finite differences see.
        const auto r = cnn_test::grad_check(bn, x, 7, 80, 1e-2f);
        INFO(in.str() << " x " << n << ": input error " << r.max_input_error << ", param error " << r.max_param_error);
        CHECK(r.checked > 0);
        CHECK(r.max_input_error < 2e-2);
        CHECK(r.max_param_error < 2e-2);
    }
}

TEST_CASE("batchnorm with frozen statistics trains through the inference map and leaves the statistics") {
    Rng rng(4);
    const Shape in{3, 2, 5};
    BatchNorm bn;
    bn.build(in, rng);
    randomise_affine(bn, rng);
    auto p = bn.params();
    for (int c = 0; c < 5; ++c) {
        p[2].value[c] = 0.2f * float(c) - 0.4f;
        p[3].value[c] = 0.3f + 0.5f * float(c);
    }
    const std::vector<float> statistics(p[2].value, p[2].value + 10);
    Tensor x(4, in), y_infer, y_frozen;
    fill_random(x, rng, -2.0f, 2.0f);
    bn.forward(x, y_infer, Context{});
    Context frozen = train_context();
    frozen.frozen_statistics = true;
    bn.forward(x, y_frozen, frozen);
    CHECK(y_frozen.vec() == y_infer.vec());  // exactly what inference computes
    CHECK(std::vector<float>(p[2].value, p[2].value + 10) == statistics);  // and nothing learnt
    // Gradients of a fixed affine map, against finite differences (input, gamma, beta).
    const auto r = cnn_test::grad_check(bn, x, 7, 80, 1e-2f, true, true);
    INFO("input error " << r.max_input_error << ", param error " << r.max_param_error);
    CHECK(r.checked > 0);
    CHECK(r.max_input_error < 1e-3);
    CHECK(r.max_param_error < 1e-3);
    CHECK(std::vector<float>(p[2].value, p[2].value + 10) == statistics);
    // and they differ from the batch-statistics gradients (the mean and variance terms are gone)
    Tensor dy(4, in), dx_frozen, dx_batch, y;
    fill_random(dy, rng);
    bn.forward(x, y, frozen);
    bn.backward(x, y, dy, &dx_frozen, frozen);
    bn.forward(x, y, train_context());
    bn.backward(x, y, dy, &dx_batch, train_context());
    CHECK(dx_frozen.vec() != dx_batch.vec());
}

TEST_CASE("global average pooling matches a plain loop and passes the gradient check") {
    Rng rng(4);
    GlobalAvgPool gap;
    const Shape in{5, 3, 4};
    gap.build(in, rng);
    CHECK(gap.output_shape(in) == Shape{1, 1, 4});
    Tensor x(11, in), y;  // more samples than one task
    fill_random(x, rng);
    ThreadPool two(2);
    gap.forward(x, y, train_context(&two));
    REQUIRE(y.shape() == Shape{1, 1, 4});
    for (int s = 0; s < 11; ++s)
        for (int c = 0; c < 4; ++c) {
            double sum = 0;
            for (int p = 0; p < 15; ++p) sum += x.sample(s)[p * 4 + c];
            REQUIRE(y.sample(s)[c] == Approx(sum / 15).margin(1e-6));
        }
    Tensor small(2, in);
    fill_random(small, rng);
    const auto r = cnn_test::grad_check(gap, small, 7, 60, 1e-2f);
    CHECK(r.checked > 0);
    CHECK(r.max_input_error < 1e-2);
}

TEST_CASE("batchnorm and gap specs round-trip and name their parameters like Keras") {
    const std::string spec =
        "input 28x28x1 | conv 8 k3 same | batchnorm | relu | maxpool 2 | conv 16 k3 same | batchnorm 0.9 | relu | gap | "
        "dense 10";
    Model m = Model::from_spec(spec, 1);
    CHECK(m.spec() == spec);
    CHECK(Model::from_spec("conv 8 k3 same | batchnorm 0.99 | gap | dense 10").spec() ==
          "input 28x28x1 | conv 8 k3 same | batchnorm | gap | dense 10");
    const auto rows = m.summary();
    CHECK(rows[1].params == 32);  // 8 channels x (gamma, beta, mean, variance)
    CHECK(rows[7].output == Shape{1, 1, 16});  // gap
    CHECK(m.param_count() == 80 + 32 + 1168 + 64 + 170);
    std::vector<std::string> names;
    for (const auto& p : m.params())
        if (p.name.rfind("batchnorm1.", 0) == 0) {
            names.push_back(p.name);
            CHECK(p.trainable == (p.grad != nullptr));
        }
    CHECK(names == std::vector<std::string>{"batchnorm1.gamma", "batchnorm1.beta", "batchnorm1.moving_mean",
                                            "batchnorm1.moving_variance"});
    const auto message = [](const std::string& s) {
        try {
            Model::from_spec(s);
        } catch (const SpecError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(message("conv 8 k3 | batchnorm 1.5"), Catch::Contains("momentum must be in [0, 1)"));
    CHECK_THAT(message("conv 8 k3 | batchnorm fast"), Catch::Contains("momentum must be a number"));
    CHECK_THAT(message("conv 8 k3 | batchnorm 0.9 0.9"), Catch::Contains("usage: batchnorm [MOMENTUM]"));
    CHECK_THAT(message("conv 8 k3 | gap 2"), Catch::Contains("takes no arguments"));
}

TEST_CASE("the improved model builds with 243,466 parameters, 704 of them moving statistics") {
    Model m = Model::from_spec(kImprovedSpec, 1);
    CHECK(m.spec() == kImprovedSpec);
    CHECK(m.param_count() == 243466);
    std::size_t state = 0;
    for (const auto& p : m.params())
        if (!p.trainable) state += p.size;
    CHECK(state == 704);
    CHECK(m.summary()[12].output == Shape{1, 1, 1152});  // flatten after three poolings: 3x3x128
}

TEST_CASE("moving statistics are saved with the weights and restored by get/set_values") {
    const std::string spec = "input 8x8x1 | conv 4 k3 same | batchnorm 0.5 | relu | flatten | dense 3 | batchnorm";
    Model m = Model::from_spec(spec, 5);
    Rng rng(6);
    Tensor x(6, m.input_shape());
    fill_random(x, rng, 0.0f, 1.0f);
    Context ctx;
    ctx.mode = Mode::Train;
    ctx.rng = &rng;
    m.forward(x, ctx);  // moves the statistics away from (0, 1)
    auto stats = m.params()[5];
    REQUIRE(stats.name == "batchnorm1.moving_variance");
    REQUIRE(stats.value[0] != 1.0f);

    const auto bytes = encode_weights(m);
    Model back = decode_weights(bytes.data(), bytes.size());
    CHECK(back.get_values() == m.get_values());
    CHECK(back.get_values().size() == m.param_count());
    std::vector<float> p1(6 * 3), p2(6 * 3);
    m.predict(x.data(), 6, p1.data());
    back.predict(x.data(), 6, p2.data());
    CHECK(p1 == p2);

    // Restore-best goes through get/set_values: the statistics come back too.
    const auto saved = m.get_values();
    m.forward(x, ctx);
    CHECK(m.get_values() != saved);
    m.set_values(saved);
    CHECK(m.get_values() == saved);
}

TEST_CASE("optimizers update gamma and beta but never the moving statistics") {
    for (const char* name : {"adam", "sgd"}) {
        Model m = Model::from_spec("input 6x6x1 | conv 3 k3 | batchnorm | relu | flatten | dense 2", 7);
        Rng rng(8);
        Tensor x(4, m.input_shape());
        fill_random(x, rng);
        Context ctx;
        ctx.mode = Mode::Train;
        ctx.rng = &rng;
        const Tensor& logits = m.forward(x, ctx);
        Tensor dlogits(logits.n(), logits.shape());
        fill_random(dlogits, rng);
        m.backward(dlogits, ctx);
        std::vector<std::vector<float>> before;
        for (const auto& p : m.params()) before.emplace_back(p.value, p.value + p.size);
        auto opt = make_optimizer(name, 0.1f);
        opt->step(m.params());
        const auto after = m.params();
        for (std::size_t i = 0; i < after.size(); ++i) {
            INFO(name << ": " << after[i].name);
            const bool changed = !std::equal(before[i].begin(), before[i].end(), after[i].value);
            CHECK(changed == after[i].trainable);
        }
    }
}

TEST_CASE("a small batch-normalised CNN with global pooling learns synthetic bars") {
    const Dataset train = cnn_test::synthetic_bars(800, 4, 1);
    const Dataset test = cnn_test::synthetic_bars(200, 4, 2);
    // Momentum 0.9: 4 short epochs are too few batches for Keras' 0.99 to settle.
    Model m = Model::from_spec(
        "input 12x12x1 | conv 8 k3 same | batchnorm 0.9 | relu | maxpool 2 | conv 16 k3 same | batchnorm 0.9 | "
        "relu | gap | dense 4",
        3);
    TrainOptions o;
    o.epochs = 6;
    o.batch_size = 32;
    o.learning_rate = 3e-3f;
    const History h = fit(m, train, nullptr, o);
    CHECK(h.epochs.back().loss < h.epochs.front().loss);
    const double accuracy = evaluate(m, test).accuracy;  // inference mode: moving statistics
    INFO("test accuracy " << accuracy);
    CHECK(accuracy > 0.9);
}
