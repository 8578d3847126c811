#include "cnn/model/reject.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <locale>
#include <sstream>
#include <utility>

#include "cnn/base/error.hpp"
#include "cnn/base/json_field.hpp"

namespace cnn {

namespace {

void check_rule(const RejectRule& r) {
    if (!(r.temperature > 0 && std::isfinite(r.temperature)))
        throw Error("reject rule: temperature must be a positive number, got " + std::to_string(r.temperature));
    if (!(r.threshold >= 0 && r.threshold <= 1))
        throw Error("reject rule: threshold must be in [0, 1], got " + std::to_string(r.threshold));
    if (!(r.not_digit >= 0 && r.not_digit <= 1))
        throw Error("reject rule: the not-digit gate must be in [0, 1], got " + std::to_string(r.not_digit));
}

// softmax(logits / t) of one row, in double.
void tempered_softmax(const float* logits, int k, double t, double* p) {
    double top = logits[0];
    for (int j = 1; j < k; ++j) top = std::max(top, double(logits[j]));
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += p[j] = std::exp((double(logits[j]) - top) / t);
    for (int j = 0; j < k; ++j) p[j] /= sum;
}

void check_rows(const std::vector<float>& logits, int outputs, const std::vector<std::uint8_t>& labels) {
    if (outputs < 2) throw Error("calibration needs at least two outputs, got " + std::to_string(outputs));
    if (labels.empty() || logits.size() != labels.size() * std::size_t(outputs))
        throw Error("calibration: " + std::to_string(logits.size()) + " logits do not make " +
                    std::to_string(labels.size()) + " rows of " + std::to_string(outputs));
    for (std::uint8_t y : labels)
        if (y >= outputs) throw Error("calibration: label " + std::to_string(int(y)) + " has no output");
    for (float v : logits)
        if (!std::isfinite(v)) throw Error("calibration: a logit is not finite");
}

double mean_nll(const std::vector<float>& logits, int k, const std::vector<std::uint8_t>& labels, double t) {
    std::vector<double> p(std::size_t(k), 0.0);
    double sum = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        tempered_softmax(logits.data() + i * std::size_t(k), k, t, p.data());
        sum -= std::log(std::max(p[labels[i]], 1e-300));
    }
    return sum / double(labels.size());
}

}  // namespace

Answer decide(const float* logits, int outputs, const RejectRule& rule) {
    if (outputs != 10 && outputs != 11)
        throw Error("a digit model has 10 outputs (or 11 with \"not a digit\"), this one has " + std::to_string(outputs));
    check_rule(rule);
    for (int j = 0; j < outputs; ++j)
        if (!std::isfinite(logits[j])) throw Error("the model's output is not finite (NaN or infinity)");
    double p[11];
    tempered_softmax(logits, outputs, rule.temperature, p);
    Answer a;
    a.probabilities.assign(p, p + outputs);
    double digits = 0;
    for (int d = 0; d < 10; ++d) digits += p[d];
    for (int d = 0; d < 10; ++d) a.digit_probabilities.push_back(float(digits > 0 ? p[d] / digits : 0.1));
    a.best = 0;
    for (int d = 1; d < 10; ++d)
        if (p[d] > p[a.best]) a.best = d;
    a.second = a.best == 0 ? 1 : 0;
    for (int d = 0; d < 10; ++d)
        if (d != a.best && p[d] > p[a.second]) a.second = d;
    a.best_p = float(p[a.best]);
    a.second_p = float(p[a.second]);
    a.not_digit_p = outputs == 11 ? float(p[kNotDigitClass]) : 0.0f;
    if (outputs == 11 && rule.not_digit > 0)
        a.is_digit = p[kNotDigitClass] < rule.not_digit && a.digit_probabilities[std::size_t(a.best)] >= rule.threshold;
    else
        a.is_digit = p[a.best] >= rule.threshold && !(outputs == 11 && p[kNotDigitClass] > p[a.best]);
    return a;
}

Answer decide_probabilities(const float* probabilities, int outputs, const RejectRule& rule) {
    if (outputs != 10 && outputs != 11)
        throw Error("a digit model has 10 outputs (or 11 with \"not a digit\"), this one has " + std::to_string(outputs));
    float logits[11];
    for (int j = 0; j < outputs; ++j) {
        if (!(probabilities[j] >= 0 && probabilities[j] <= 1)) throw Error("a probability is not in [0, 1]");
        logits[j] = std::log(std::max(probabilities[j], 1e-30f));
    }
    return decide(logits, outputs, rule);
}

namespace {

Answer gated(Answer reader, const Answer& gate, const RejectRule& gate_rule) {
    reader.not_digit_p = gate.not_digit_p;
    reader.is_digit = reader.is_digit && gate.not_digit_p < gate_rule.not_digit;
    return reader;
}

void check_gate(int gate_outputs, const RejectRule& gate_rule) {
    if (gate_outputs != 11)
        throw Error("a \"not a digit\" gate needs a model with 11 outputs (the eleventh \"not a digit\"), this one has " +
                    std::to_string(gate_outputs));
    if (!(gate_rule.not_digit > 0))
        throw Error("the gate model's reject rule has no not-digit gate: calibrate it first (digit-cnn reject --calibrate)");
}

}  // namespace

Answer apply_gate(Answer reader, const float* gate_logits, int gate_outputs, const RejectRule& gate_rule) {
    check_gate(gate_outputs, gate_rule);
    return gated(std::move(reader), decide(gate_logits, gate_outputs, gate_rule), gate_rule);
}

Answer apply_gate_probabilities(Answer reader, const float* gate_probabilities, int gate_outputs,
                                const RejectRule& gate_rule) {
    check_gate(gate_outputs, gate_rule);
    return gated(std::move(reader), decide_probabilities(gate_probabilities, gate_outputs, gate_rule), gate_rule);
}

float fit_temperature(const std::vector<float>& logits, int outputs, const std::vector<std::uint8_t>& labels) {
    check_rows(logits, outputs, labels);
    // The NLL is unimodal in log T for a fixed set of logits: golden-section search on log T.
    double lo = std::log(0.05), hi = std::log(20.0);
    const double g = (std::sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = mean_nll(logits, outputs, labels, std::exp(a)), fb = mean_nll(logits, outputs, labels, std::exp(b));
    for (int it = 0; it < 60; ++it) {
        if (fa < fb) {
            hi = b, b = a, fb = fa;
            a = hi - g * (hi - lo);
            fa = mean_nll(logits, outputs, labels, std::exp(a));
        } else {
            lo = a, a = b, fa = fb;
            b = lo + g * (hi - lo);
            fb = mean_nll(logits, outputs, labels, std::exp(b));
        }
    }
    return float(std::exp((lo + hi) / 2));
}

double expected_calibration_error(const std::vector<float>& logits, int outputs,
                                  const std::vector<std::uint8_t>& labels, float temperature, int bins) {
    check_rows(logits, outputs, labels);
    if (bins < 1) throw Error("calibration error needs at least one bin");
    if (!(temperature > 0)) throw Error("calibration error: temperature must be positive");
    std::vector<double> conf(std::size_t(bins), 0.0), hits(std::size_t(bins), 0.0), count(std::size_t(bins), 0.0);
    std::vector<double> p(static_cast<std::size_t>(outputs));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        tempered_softmax(logits.data() + i * std::size_t(outputs), outputs, temperature, p.data());
        const int top = int(std::max_element(p.begin(), p.end()) - p.begin());
        const std::size_t b = std::size_t(std::min(bins - 1, int(p[std::size_t(top)] * bins)));
        conf[b] += p[std::size_t(top)];
        hits[b] += top == labels[i];
        count[b] += 1;
    }
    double ece = 0;
    for (std::size_t b = 0; b < std::size_t(bins); ++b)
        if (count[b] > 0) ece += std::fabs(hits[b] - conf[b]) / double(labels.size());
    return ece;
}

std::string reject_rule_text(const RejectRule& rule) {
    check_rule(rule);
    char buf[128];
    std::snprintf(buf, sizeof buf, "temperature %.6g threshold %.6g", double(rule.temperature), double(rule.threshold));
    std::string text = buf;
    if (rule.not_digit > 0) {
        std::snprintf(buf, sizeof buf, " not-digit %.6g", double(rule.not_digit));
        text += buf;
    }
    return text;
}

RejectRule parse_reject_rule(const std::string& text) {
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    std::string k1, k2, k3, rest;
    RejectRule r;
    bool ok = (in >> k1 >> r.temperature >> k2 >> r.threshold) && k1 == "temperature" && k2 == "threshold";
    if (ok && (in >> k3)) ok = k3 == "not-digit" && (in >> r.not_digit) && r.not_digit > 0;
    if (!ok || (in >> rest))
        throw Error("reject rule '" + text + "' is not of the form 'temperature T threshold P [not-digit Q]'");
    check_rule(r);
    return r;
}

RejectRule reject_rule_from_metadata(const std::string& metadata) {
    const std::optional<std::string> text = json_string_field(metadata, "reject");
    return text ? parse_reject_rule(*text) : RejectRule{};
}

}  // namespace cnn
