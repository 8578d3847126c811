// Optimizers see (parameter, gradient) pairs only; their state (moments) lives here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/layers/layer.hpp"

namespace cnn {

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // Applies one update to every trainable parameter from its gradient.
    virtual void step(const std::vector<ParamRef>& params) = 0;
    virtual std::string name() const = 0;
    float learning_rate() const { return lr_; }
    void set_learning_rate(float lr) { lr_ = lr; }

    // Internal state (step count and moments) as flat floats, for resumable checkpoints.
    virtual std::vector<double> state() const = 0;
    virtual void set_state(const std::vector<double>& s) = 0;

protected:
    float lr_ = 1e-3f;
};

// Adam with Keras defaults: lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras' "epsilon hat"
// form: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t * m / (sqrt(v) + eps)).
class Adam : public Optimizer {
public:
    explicit Adam(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-7f);
    void step(const std::vector<ParamRef>& params) override;
    std::string name() const override { return "adam"; }
    std::vector<double> state() const override;
    void set_state(const std::vector<double>& s) override;

private:
    float b1_, b2_, eps_;
    long long t_ = 0;
    std::vector<std::vector<float>> m_, v_;
};

// SGD with (optionally Nesterov) momentum, Keras semantics: v = m*v - lr*g; p += v.
class SGD : public Optimizer {
public:
    explicit SGD(float lr = 0.01f, float momentum = 0.0f, bool nesterov = false);
    void step(const std::vector<ParamRef>& params) override;
    std::string name() const override { return "sgd"; }
    std::vector<double> state() const override;
    void set_state(const std::vector<double>& s) override;

private:
    float momentum_;
    bool nesterov_;
    std::vector<std::vector<float>> velocity_;
};

// "adam" or "sgd"; throws Error for anything else.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, float lr, float momentum = 0.9f);

}  // namespace cnn
