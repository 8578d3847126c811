#include "cnn/optimizer.hpp"

#include <cmath>

#include "cnn/error.hpp"

namespace cnn {

namespace {
// Allocates zeroed state matching the trainable parameters on first use.
void ensure_state(std::vector<std::vector<float>>& st, const std::vector<ParamRef>& params) {
    if (st.size() == params.size()) return;
    st.clear();
    for (const auto& p : params) st.emplace_back(p.trainable ? p.size : 0, 0.0f);
}

void append(std::vector<double>& out, const std::vector<std::vector<float>>& st) {
    out.push_back(double(st.size()));
    for (const auto& v : st) {
        out.push_back(double(v.size()));
        out.insert(out.end(), v.begin(), v.end());
    }
}

std::size_t restore(const std::vector<double>& in, std::size_t pos,
                    std::vector<std::vector<float>>& st) {
    auto need = [&](std::size_t n) {
        if (pos + n > in.size()) throw Error("optimizer state is truncated");
    };
    need(1);
    st.assign(std::size_t(in[pos++]), {});
    for (auto& v : st) {
        need(1);
        const std::size_t n = std::size_t(in[pos++]);
        need(n);
        v.assign(in.begin() + pos, in.begin() + pos + n);
        pos += n;
    }
    return pos;
}
}  // namespace

Adam::Adam(float lr, float beta1, float beta2, float eps) : b1_(beta1), b2_(beta2), eps_(eps) {
    lr_ = lr;
}

void Adam::step(const std::vector<ParamRef>& params) {
    ensure_state(m_, params);
    ensure_state(v_, params);
    ++t_;
    const double lr_t = double(lr_) * std::sqrt(1.0 - std::pow(double(b2_), double(t_))) /
                        (1.0 - std::pow(double(b1_), double(t_)));
    const float lr_f = float(lr_t);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ParamRef& p = params[i];
        if (!p.trainable) continue;
        float* m = m_[i].data();
        float* v = v_[i].data();
        for (std::size_t j = 0; j < p.size; ++j) {
            const float g = p.grad[j];
            m[j] = b1_ * m[j] + (1.0f - b1_) * g;
            v[j] = b2_ * v[j] + (1.0f - b2_) * g * g;
            p.value[j] -= lr_f * m[j] / (std::sqrt(v[j]) + eps_);
        }
    }
}

std::vector<double> Adam::state() const {
    std::vector<double> s{double(t_)};
    append(s, m_);
    append(s, v_);
    return s;
}

void Adam::set_state(const std::vector<double>& s) {
    if (s.empty()) throw Error("optimizer state is empty");
    t_ = (long long)s[0];
    restore(s, restore(s, 1, m_), v_);
}

SGD::SGD(float lr, float momentum, bool nesterov) : momentum_(momentum), nesterov_(nesterov) {
    lr_ = lr;
}

void SGD::step(const std::vector<ParamRef>& params) {
    ensure_state(velocity_, params);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ParamRef& p = params[i];
        if (!p.trainable) continue;
        float* vel = velocity_[i].data();
        for (std::size_t j = 0; j < p.size; ++j) {
            vel[j] = momentum_ * vel[j] - lr_ * p.grad[j];
            p.value[j] += nesterov_ ? momentum_ * vel[j] - lr_ * p.grad[j] : vel[j];
        }
    }
}

std::vector<double> SGD::state() const {
    std::vector<double> s;
    append(s, velocity_);
    return s;
}

void SGD::set_state(const std::vector<double>& s) { restore(s, 0, velocity_); }

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, float lr, float momentum) {
    if (!(lr > 0.0f) || !std::isfinite(lr))
        throw Error("learning rate must be a positive number, got " + std::to_string(lr));
    if (name == "adam") return std::make_unique<Adam>(lr);
    if (name == "sgd") return std::make_unique<SGD>(lr, momentum);
    throw Error("unknown optimizer '" + name + "' (known: adam, sgd)");
}

}  // namespace cnn
