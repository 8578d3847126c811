// Batch normalisation (Ioffe & Szegedy 2015) over the last axis: per channel for conv outputs
// (statistics over n, h and w of NHWC) and per feature for dense outputs {1, 1, features}.
// Keras semantics: epsilon 1e-3, momentum 0.99, gamma 1 and beta 0 trainable, moving mean 0 and
// variance 1. Training normalises with the batch's statistics and updates the moving ones
//   moving = momentum * moving + (1 - momentum) * batch
// (the variance with Bessel's correction, as TensorFlow's fused kernel and PyTorch do); inference
// uses the moving statistics, and so does training with Context::frozen_statistics (fine-tuning),
// which leaves them unchanged. They are parameters with trainable == false, so they are saved with
// the weights and left alone by the optimizers.
#pragma once

#include "cnn/layers/layer.hpp"

namespace cnn {

class BatchNorm : public Layer {
public:
    static constexpr float kEpsilon = 1e-3f;
    static constexpr float kDefaultMomentum = 0.99f;

    // momentum in [0, 1); a lower one (0.9) suits short runs, where 0.99 would leave the moving
    // statistics near their initial values. Throws SpecError otherwise.
    explicit BatchNorm(float momentum = kDefaultMomentum);
    std::string spec() const override;  // "batchnorm", or "batchnorm 0.9" for other momenta
    std::string kind() const override { return "batchnorm"; }
    Shape output_shape(const Shape& input) const override { return input; }
    void build(const Shape& input, Rng& rng) override;
    void forward(const Tensor& x, Tensor& y, const Context& ctx) override;
    // Gradients through the batch statistics of the last Train forward.
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const Context& ctx) override;
    // gamma, beta (trainable), moving_mean, moving_variance (state).
    std::vector<ParamRef> params() override;
    LayerCost cost(const Shape& input) const override;
    float momentum() const { return momentum_; }
    // For recompute_batchnorm_statistics (trainer.hpp), which sets the momentum per batch so that
    // the moving statistics become the mean of the batch statistics. Throws Error outside [0, 1).
    void set_momentum(float momentum);

private:
    float momentum_;
    int channels_ = 0;
    std::vector<float> values_;  // gamma, beta, moving_mean, moving_variance (channels each)
    std::vector<float> grads_;   // d gamma, d beta
    std::vector<float> mean_, inv_std_;  // Train: the last batch's statistics
    std::vector<double> partial_;        // per-chunk sums
    bool have_batch_stats_ = false;      // the last forward was in training mode
    bool frozen_ = false;                // ... with frozen statistics: mean_, inv_std_ are the moving ones
};

// Plain loop references for tests, over `rows` rows of `channels` values (NHWC flattened).
// Training-mode forward: fills y and the biased batch mean and variance per channel.
void batchnorm_forward_reference(int rows, int channels, const float* x, const float* gamma,
                                 const float* beta, float* y, float* mean, float* var);
// Assigns dx, dgamma and dbeta for the training-mode forward.
void batchnorm_backward_reference(int rows, int channels, const float* x, const float* gamma,
                                  const float* dy, float* dx, float* dgamma, float* dbeta);

}  // namespace cnn
