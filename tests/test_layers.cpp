// Fast layer kernels against the plain reference loops, including Keras "same" padding for even
// kernels, strides, and thread-count independence.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "cnn/base/error.hpp"
#include "cnn/kernels/gemm.hpp"
#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dense.hpp"
#include "cnn/layers/dropout.hpp"
#include "cnn/layers/flatten.hpp"
#include "cnn/layers/maxpool2d.hpp"
#include "cnn/layers/relu.hpp"
#include "test_util.hpp"

using namespace cnn;
using cnn_test::fill_random;
using cnn_test::require_close;


TEST_CASE("same padding follows TensorFlow for even and odd kernels") {
    // 28 wide, kernel 4, stride 1: total padding 3, one before, two after.
    auto a = window_axis(28, 4, 1, Padding::Same);
    CHECK(a.out == 28);
    CHECK(a.pad_before == 1);
    a = window_axis(14, 2, 1, Padding::Same);  // total 1: none before, one after
    CHECK(a.out == 14);
    CHECK(a.pad_before == 0);
    a = window_axis(7, 3, 2, Padding::Same);  // out 4, total (3*2+3-7)=2 -> 1 before
    CHECK(a.out == 4);
    CHECK(a.pad_before == 1);
    a = window_axis(28, 5, 1, Padding::Valid);
    CHECK(a.out == 24);
    CHECK(a.pad_before == 0);
}

TEST_CASE("conv2d forward and backward match the reference loops") {
    struct Case {
        Shape in;
        Conv2DOptions o;
        int n;
    };
    const Case cases[] = {
        {{28, 28, 1}, {32, 4, 1, Padding::Same}, 3},  // seed conv1 (even kernel, same)
        {{14, 14, 32}, {64, 2, 1, Padding::Same}, 2},  // seed conv2
        {{9, 11, 3}, {5, 3, 2, Padding::Valid}, 2},
        {{9, 8, 2}, {4, 4, 2, Padding::Same}, 3},
        {{7, 7, 4}, {6, 5, 3, Padding::Same}, 1},
        {{6, 6, 2}, {3, 1, 1, Padding::Valid}, 17},  // more samples than one task
        // Single-channel input (first layers): odd filter counts, strides, valid padding.
        {{9, 8, 1}, {20, 3, 2, Padding::Same}, 3},
        {{5, 7, 1}, {5, 4, 1, Padding::Valid}, 2},
        {{6, 5, 1}, {16, 5, 3, Padding::Same}, 11},
        // im2col edge cases: windows that leave the last row and column unread, a 2x2 kernel on
        // two channels (a window row is 4 floats, as for conv1), a 1x1 kernel with stride.
        {{10, 10, 2}, {3, 3, 2, Padding::Valid}, 2},
        {{8, 7, 2}, {3, 2, 1, Padding::Same}, 2},
        {{7, 9, 3}, {4, 1, 2, Padding::Same}, 2},
    };
    for (const auto& c : cases) {
        Conv2D layer(c.o);
        Rng rng(3);
        layer.build(c.in, rng);
        Tensor x(c.n, c.in);
        fill_random(x, rng);
        Tensor y;
        Context ctx;
        ctx.mode = Mode::Train;
        layer.forward(x, y, ctx);
        const ConvGeometry g = conv_geometry(c.in, c.o);
        auto p = layer.params();
        std::vector<float> ref(y.size());
        conv2d_forward_reference(g, c.n, x.data(), p[0].value, p[1].value, ref.data());
        INFO(layer.spec() << " on " << c.in.str());
        REQUIRE(y.shape() == layer.output_shape(c.in));
        require_close(y.data(), ref.data(), y.size(), 1e-4f);

        Tensor dy(y.n(), y.shape());
        fill_random(dy, rng);
        Tensor dx;
        layer.backward(x, y, dy, &dx, ctx);
        std::vector<float> rdx(x.size()), rdk(p[0].size), rdb(p[1].size);
        conv2d_backward_reference(g, c.n, x.data(), p[0].value, dy.data(), rdx.data(), rdk.data(), rdb.data());
        require_close(dx.data(), rdx.data(), dx.size(), 1e-4f);
        require_close(p[0].grad, rdk.data(), rdk.size(), 1e-3f);
        require_close(p[1].grad, rdb.data(), rdb.size(), 1e-3f);
    }
}

TEST_CASE("conv2d inference computes repeated patches once and gives the same bits") {
    // Inference skips im2col rows equal to the row before (blank areas of a digit); training
    // computes every row. Both must give the same outputs, whatever repeats where.
    struct Case {
        Shape in;
        Conv2DOptions o;
        bool relu;
    };
    const Case cases[] = {
        {{28, 28, 1}, {32, 4, 1, Padding::Same}, true},   // seed conv1
        {{14, 14, 32}, {64, 2, 1, Padding::Same}, true},  // seed conv2
        {{9, 11, 3}, {5, 3, 2, Padding::Valid}, false},
        {{6, 5, 1}, {16, 5, 3, Padding::Same}, false},
    };
    for (const auto& c : cases) {
        for (int threads : {1, 2}) {
            Rng rng(11);
            Conv2D layer(c.o);
            if (c.relu) layer.fuse_relu();
            layer.build(c.in, rng);
            // 19 samples (three tasks): blank but for one value (windows that differ from the
            // one before only in their last element), constant, random, random with blank
            // areas, every column equal (repeats along an output row), columns of +0 and -0
            // (equal values, different bits: not repeats), every row equal (repeats down a
            // column only), and a NaN.
            const int n = 19;
            Tensor x(n, c.in);
            fill_random(x, rng);
            const int hw = c.in.h * c.in.w, ch = c.in.c;
            for (int s = 0; s < n; ++s) {
                float* p = x.sample(s);
                for (int i = 0; i < hw; ++i)
                    for (int k = 0; k < ch; ++k) {
                        const int y = i / c.in.w, xx = i % c.in.w;
                        float& v = p[i * ch + k];
                        switch (s % 7) {
                            case 0: v = y == c.in.h / 2 && xx == c.in.w / 2 && k == ch - 1 ? 1.0f : 0.0f; break;
                            case 1: v = 0.25f; break;
                            case 2: break;
                            case 3: if (y < c.in.h / 3 || xx > c.in.w / 2) v = 0.0f; break;
                            case 4: v = p[(y * c.in.w) * ch + k]; break;  // every column as the first
                            case 5: if (xx % 2) v = (xx % 4 == 1) ? -0.0f : 0.0f; break;
                            case 6: if (y > 0) v = p[xx * ch + k]; break;  // every row as the first
                        }
                    }
            }
            x.sample(17)[0] = std::numeric_limits<float>::quiet_NaN();
            ThreadPool pool(threads);
            Context infer{Mode::Infer, nullptr, &pool};
            Context train{Mode::Train, &rng, &pool};
            Tensor yi, yt;
            layer.forward(x, yi, infer);
            layer.forward(x, yt, train);
            INFO(layer.spec() << " on " << c.in.str() << ", " << threads << " threads");
            REQUIRE(yi.size() == yt.size());
            if (default_gemm_kernel() == GemmKernel::Own) {
                // The browser's kernel rounds a row the same wherever it sits in the product.
                CHECK(std::memcmp(yi.data(), yt.data(), sizeof(float) * yi.size()) == 0);
            } else {
                // Eigen's blocking (FMA, remainder kernels) may round a row differently at
                // another position: equal up to rounding, NaN where the other has NaN.
                for (std::size_t i = 0; i < yi.size(); ++i) {
                    INFO("element " << i);
                    if (std::isnan(yt[i]))
                        REQUIRE(std::isnan(yi[i]));
                    else
                        REQUIRE(yi[i] == Approx(yt[i]).epsilon(1e-5).margin(1e-6));
                }
            }
            // And against the plain loop, where no row is skipped.
            const ConvGeometry g = conv_geometry(c.in, c.o);
            auto p = layer.params();
            std::vector<float> ref(yi.size());
            conv2d_forward_reference(g, n, x.data(), p[0].value, p[1].value, ref.data());
            std::size_t nan_outputs = 0;  // where the NaN pixel reaches (ReLU of NaN: not compared)
            for (std::size_t i = 0; i < ref.size(); ++i) {
                if (std::isnan(ref[i])) {
                    ++nan_outputs;
                    continue;
                }
                if (c.relu) ref[i] = ref[i] > 0.0f ? ref[i] : 0.0f;
                INFO("element " << i);
                REQUIRE(yi[i] == Approx(ref[i]).margin(1e-4f));
            }
            CHECK(nan_outputs > 0);
        }
    }
}

TEST_CASE("dense inference skips zero inputs and gives the training forward's results") {
    // Inference leaves out the inputs that are zero in every sample (one sample: a sparse GEMV;
    // a batch: gathered inputs and kernel rows). Training multiplies them all.
    for (int in : {5, 13, 300})
        for (int units : {1, 10, 37, 128})
            for (int n : {1, 3, 20})
                for (double zeros : {0.0, 0.5, 0.95, 1.0}) {
                    INFO("in " << in << " units " << units << " n " << n << " zero fraction " << zeros);
                    Rng rng(std::uint64_t(in * 1000 + units * 10 + n));
                    Dense layer(units);
                    if (units != 37) layer.fuse_relu();
                    layer.build({1, 1, in}, rng);
                    Tensor x(n, {1, 1, in});
                    fill_random(x, rng);
                    // Zero inputs shared by every sample (skippable) plus scattered ones (not).
                    for (int i = 0; i < in; ++i)
                        if (rng.uniform() < zeros)
                            for (int s = 0; s < n; ++s) x.sample(s)[i] = 0.0f;
                    if (n > 1) x.sample(n - 1)[in / 2] = 0.0f;
                    Tensor yi, yt;
                    Rng drop(1);
                    layer.forward(x, yi, Context{Mode::Infer, nullptr, nullptr});
                    layer.forward(x, yt, Context{Mode::Train, &drop, nullptr});
                    REQUIRE(yi.size() == yt.size());
                    for (std::size_t i = 0; i < yi.size(); ++i) {
                        INFO("element " << i);
                        if (default_gemm_kernel() == GemmKernel::Own)
                            REQUIRE(yi[i] == yt[i]);  // the same sums (+0 and -0 compare equal)
                        else
                            REQUIRE(yi[i] == Approx(yt[i]).epsilon(1e-5).margin(1e-6));
                    }
                }
}

TEST_CASE("maxpool forward and backward match the reference loops") {
    struct Case {
        Shape in;
        MaxPoolOptions o;
    };
    const Case cases[] = {
        {{28, 28, 32}, {2, 0, Padding::Valid}},
        {{7, 7, 3}, {2, 0, Padding::Valid}},  // odd size: last row/column dropped
        {{7, 7, 3}, {2, 0, Padding::Same}},   // odd size: padded
        {{9, 9, 2}, {3, 2, Padding::Same}},   // overlapping windows
    };
    for (const auto& c : cases) {
        MaxPool2D layer(c.o);
        Rng rng(5);
        layer.build(c.in, rng);
        const int n = 10;
        Tensor x(n, c.in);
        fill_random(x, rng);
        Tensor y;
        Context ctx;
        ctx.mode = Mode::Train;
        layer.forward(x, y, ctx);
        const PoolGeometry g = pool_geometry(c.in, c.o);
        std::vector<float> ref(y.size());
        maxpool_forward_reference(g, n, x.data(), ref.data());
        INFO(layer.spec() << " on " << c.in.str());
        require_close(y.data(), ref.data(), y.size(), 0.0f);
        Tensor dy(n, y.shape());
        fill_random(dy, rng);
        Tensor dx;
        layer.backward(x, y, dy, &dx, ctx);
        std::vector<float> rdx(x.size());
        maxpool_backward_reference(g, n, x.data(), dy.data(), rdx.data());
        require_close(dx.data(), rdx.data(), dx.size(), 1e-6f);
    }
}

TEST_CASE("dense forward matches the reference loop and flatten keeps NHWC order") {
    Rng rng(9);
    Dense layer(7);
    layer.build({1, 1, 13}, rng);
    Tensor x(5, {1, 1, 13});
    fill_random(x, rng);
    Tensor y;
    layer.forward(x, y, Context{});
    auto p = layer.params();
    std::vector<float> ref(y.size());
    dense_forward_reference(5, 13, 7, x.data(), p[0].value, p[1].value, ref.data());
    require_close(y.data(), ref.data(), y.size(), 1e-5f);

    Flatten f;
    Tensor img(2, {2, 3, 4});
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = float(i);
    Tensor flat;
    f.forward(img, flat, Context{});
    CHECK(flat.shape() == Shape{1, 1, 24});
    for (std::size_t i = 0; i < flat.size(); ++i) CHECK(flat[i] == float(i));
    // Its gradient goes back unchanged, in the input's shape.
    Tensor dimg;
    f.backward(img, flat, flat, &dimg, Context{});
    CHECK(dimg.n() == 2);
    CHECK(dimg.shape() == img.shape());
    for (std::size_t i = 0; i < dimg.size(); ++i) CHECK(dimg[i] == float(i));
    // A copy into a shape that holds another number of values is refused, not truncated.
    Tensor bad = flat;
    CHECK_THROWS_WITH(copy_as(img, 2, Shape{1, 1, 23}, bad), Catch::Contains("48 values do not make 2 x"));
    CHECK(bad.shape() == flat.shape());  // and the target is left as it was
    CHECK(bad[47] == 47.0f);
}

TEST_CASE("relu and dropout behave as specified") {
    ReLU relu;
    Tensor x(1, {1, 1, 4});
    x[0] = -2;
    x[1] = 0;
    x[2] = 3;
    x[3] = -0.5f;
    Tensor y;
    relu.forward(x, y, Context{});
    CHECK(y[0] == 0);
    CHECK(y[1] == 0);
    CHECK(y[2] == 3);
    CHECK(y[3] == 0);

    Dropout drop(0.5f);
    Tensor big(100, {1, 1, 100});
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = 1.0f;
    Tensor out;
    drop.forward(big, out, Context{});  // inference: identity
    for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == 1.0f);
    Rng rng(1);
    Context train;
    train.mode = Mode::Train;
    train.rng = &rng;
    drop.forward(big, out, train);
    int zeros = 0;
    double sum = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        REQUIRE((out[i] == 0.0f || out[i] == 2.0f));  // inverted dropout scales kept units by 2
        zeros += out[i] == 0.0f;
        sum += out[i];
    }
    CHECK(zeros > 4700);
    CHECK(zeros < 5300);
    CHECK(sum / out.size() == Approx(1.0).epsilon(0.06));
    CHECK_THROWS_AS(Dropout(1.0f), SpecError);
}

TEST_CASE("layer results are bit-identical for 1 and 2 threads") {
    Conv2D conv({16, 3, 1, Padding::Same});
    Dense dense(600);
    Rng rng(2);
    conv.build({12, 12, 3}, rng);
    dense.build({1, 1, 12 * 12 * 16}, rng);
    Tensor x(37, {12, 12, 3});
    fill_random(x, rng);
    ThreadPool one(1), two(2);
    std::vector<std::vector<float>> results;
    for (ThreadPool* pool : {&one, &two}) {
        Context ctx;
        ctx.mode = Mode::Train;
        ctx.pool = pool;
        Tensor y, z, dz, dy, dx;
        conv.forward(x, y, ctx);
        Tensor flat(y.n(), {1, 1, int(y.sample_size())});
        std::copy(y.data(), y.data() + y.size(), flat.data());
        dense.forward(flat, z, ctx);
        dz.resize(z.n(), z.shape());
        for (std::size_t i = 0; i < dz.size(); ++i) dz[i] = float(i % 7) - 3.0f;
        dense.backward(flat, z, dz, &dy, ctx);
        dy.resize(y.n(), y.shape());
        conv.backward(x, y, dy, &dx, ctx);
        std::vector<float> all(z.vec());
        all.insert(all.end(), dx.vec().begin(), dx.vec().end());
        for (auto* l : {static_cast<Layer*>(&conv), static_cast<Layer*>(&dense)})
            for (auto& p : l->params()) all.insert(all.end(), p.grad, p.grad + p.size);
        results.push_back(all);
    }
    REQUIRE(results[0] == results[1]);
}

TEST_CASE("a ReLU fused into conv2d and dense gives the same results as a separate ReLU") {
    Rng rng(21);
    Tensor x(11, {9, 9, 3});
    fill_random(x, rng);
    for (int which = 0; which < 3; ++which) {
        LayerPtr plain, fused;
        Shape in = x.shape();
        Tensor input = x;
        if (which == 0) {
            plain = std::make_unique<Conv2D>(Conv2DOptions{5, 3, 1, Padding::Same});
            fused = std::make_unique<Conv2D>(Conv2DOptions{5, 3, 1, Padding::Same});
        } else if (which == 1) {  // single-channel input, as in a first layer
            plain = std::make_unique<Conv2D>(Conv2DOptions{18, 4, 1, Padding::Same});
            fused = std::make_unique<Conv2D>(Conv2DOptions{18, 4, 1, Padding::Same});
            in = {27, 9, 1};
            input.resize(x.n(), in);
        } else {
            plain = std::make_unique<Dense>(7);
            fused = std::make_unique<Dense>(7);
            in = {1, 1, 9 * 9 * 3};
            input.resize(x.n(), in);
        }
        Rng r1(4), r2(4);
        plain->build(in, r1);
        fused->build(in, r2);
        REQUIRE(fused->can_fuse_relu());
        fused->fuse_relu();
        ReLU relu;
        Context ctx;
        ctx.mode = Mode::Train;
        Tensor z, y_plain, y_fused;
        plain->forward(input, z, ctx);
        relu.forward(z, y_plain, ctx);
        fused->forward(input, y_fused, ctx);
        REQUIRE(y_plain.vec() == y_fused.vec());
        Tensor dy(y_plain.n(), y_plain.shape());
        fill_random(dy, rng);
        Tensor dz, dx_plain, dx_fused;
        relu.backward(z, y_plain, dy, &dz, ctx);
        plain->backward(input, z, dz, &dx_plain, ctx);
        fused->backward(input, y_fused, dy, &dx_fused, ctx);
        CHECK(dx_plain.vec() == dx_fused.vec());
        auto pp = plain->params(), pf = fused->params();
        for (std::size_t i = 0; i < pp.size(); ++i)
            CHECK(std::vector<float>(pp[i].grad, pp[i].grad + pp[i].size) ==
                  std::vector<float>(pf[i].grad, pf[i].grad + pf[i].size));
    }
}

TEST_CASE("a residual connection adds the skip's input to its branch's output, as separate models compute it") {
    // y = head(stem(x) + branch(stem(x))), with stem, branch and head built as three plain models
    // holding the same parameters.
    const std::string stem = "input 6x6x2 | conv 3 k3 same | relu";
    const std::string branch = "conv 3 k3 same | batchnorm | relu | conv 3 k1";
    const std::string head = "maxpool 2 | flatten | dense 4";
    Model whole = Model::from_spec(stem + " | skip | " + branch + " | add | " + head, 9);
    Model a = Model::from_spec(stem, 1);
    Model b = Model::from_spec("input 6x6x3 | " + branch, 2);
    Model c = Model::from_spec("input 6x6x3 | " + head, 3);
    Rng rng(6);
    auto wp = whole.params();
    for (auto& p : wp)  // batch norm with non-trivial statistics
        for (std::size_t i = 0; i < p.size; ++i) p.value[i] = p.trainable ? rng.uniform(-0.5f, 0.5f) : rng.uniform(0.5f, 1.5f);
    std::size_t k = 0;
    for (Model* m : {&a, &b, &c})
        for (auto& p : m->params()) {
            REQUIRE(p.size == wp[k].size);
            std::copy(wp[k].value, wp[k].value + p.size, p.value);
            ++k;
        }
    REQUIRE(k == wp.size());
    Tensor x(4, whole.input_shape());
    fill_random(x, rng);
    Context ctx;
    const Tensor s = a.forward(x, ctx);
    Tensor sum = b.forward(s, ctx);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += s[i];
    const Tensor expected = c.forward(sum, ctx);
    const Tensor& got = whole.forward(x, ctx);
    REQUIRE(got.size() == expected.size());
    require_close(got.data(), expected.data(), got.size(), 1e-5f);
    // The skip's activation is its input, the add's the sum.
    const auto names = whole.summary();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].name == "skip1") CHECK(whole.activation(i).vec() == s.vec());
        if (names[i].name == "add1") require_close(whole.activation(i).data(), sum.data(), sum.size(), 1e-6f);
    }
}
