// ONNX graph -> Model: walks a chain of nodes, turning each into a layer of the spec (or into
// nothing: Identity, Transpose, a Pad merged into the next Conv) while tracking the layout of the
// activations, and converts the parameters to our NHWC layouts (see cnn/io/onnx.hpp).
#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include "cnn/base/error.hpp"
#include "cnn/io/onnx.hpp"
#include "cnn/layers/batchnorm.hpp"
#include "cnn/layers/conv2d.hpp"
#include "cnn/layers/dense.hpp"
#include "cnn/layers/dropout.hpp"
#include "cnn/layers/maxpool2d.hpp"
#include "io/onnx_fold.hpp"
#include "io/onnx_graph.hpp"
#include "io/onnx_schema.hpp"

namespace cnn {

namespace {

namespace s = onnx_schema;
using onnx::Node;

enum class Layout { NHWC, NCHW, Flat };

constexpr int kMaxSide = 4096;
constexpr std::size_t kMaxSampleFloats = std::size_t(1) << 24;

std::string ints_str(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

class Importer {
public:
    explicit Importer(const onnx::ModelFile& m) : m_(m) {
        for (const auto& t : m.graph.initializers) consts_[t.name] = &t;
    }

    Model run();

private:
    [[noreturn]] void fail(const std::string& why) const {
        std::string where = node_ ? "ONNX node '" + printable(node_->name.empty() ? "#" + std::to_string(index_) : node_->name) +
                                        "' (" + printable(node_->op_type) + "): "
                                  : "ONNX graph: ";
        throw OnnxError(where + why);
    }

    // Attribute helpers: defaults when absent, errors naming the attribute when malformed.
    std::int64_t attr_int(const char* name, std::int64_t fallback) const {
        const onnx::Attribute* a = node_->find(name);
        return a ? a->i : fallback;
    }
    float attr_float(const char* name, float fallback) const {
        const onnx::Attribute* a = node_->find(name);
        return a ? a->f : fallback;
    }
    std::string attr_string(const char* name, const std::string& fallback) const {
        const onnx::Attribute* a = node_->find(name);
        return a ? a->s : fallback;
    }
    std::vector<std::int64_t> attr_ints(const char* name, std::vector<std::int64_t> fallback) const {
        const onnx::Attribute* a = node_->find(name);
        return a ? a->ints : fallback;
    }

    // Input i of the node, which must be a constant (initializer or Constant node); null if the
    // input is absent and optional.
    const onnx::Tensor* constant(std::size_t i, bool required = true) const {
        if (i >= node_->inputs.size() || node_->inputs[i].empty()) {
            if (required) fail("input " + std::to_string(i) + " is missing");
            return nullptr;
        }
        auto it = consts_.find(node_->inputs[i]);
        if (it == consts_.end())
            fail("its input '" + printable(node_->inputs[i]) +
                 "' is computed in the graph; digit-cnn needs it as a constant (initializer)");
        return it->second;
    }
    const std::vector<float>& floats(const onnx::Tensor& t) const {
        if (t.data_type != s::tensor::FLOAT)
            fail("tensor '" + printable(t.name) + "' has data type " + std::to_string(t.data_type) +
                 "; only float32 weights are supported");
        for (float v : t.floats)
            if (!std::isfinite(v)) fail("tensor '" + printable(t.name) + "' holds a non-finite value");
        return t.floats;
    }
    const std::vector<std::int64_t>& ints(const onnx::Tensor& t) const {
        if (t.data_type != s::tensor::INT64 && t.data_type != s::tensor::INT32 && t.data_type != s::tensor::BOOL)
            fail("tensor '" + printable(t.name) + "' should hold integers");
        return t.ints;
    }
    // A float vector of n values, of shape {n} (or {1, n} when allow_row).
    std::vector<float> vector_of(const onnx::Tensor& t, int n, const char* what) const {
        const bool ok = (t.dims.size() == 1 && t.dims[0] == n) || (t.dims.size() == 2 && t.dims[0] == 1 && t.dims[1] == n);
        if (!ok) fail(std::string(what) + " '" + printable(t.name) + "' has shape " + ints_str(t.dims) + ", expected [" +
                      std::to_string(n) + "]");
        return floats(t);
    }

    void start();
    void node(const Node& n);
    void layer(const std::string& spec, std::vector<std::vector<float>> params = {}) {
        if (flatten_pending_) items_.push_back("flatten");
        flatten_pending_ = false;
        items_.push_back(spec);
        for (auto& p : params) values_.push_back(std::move(p));
    }
    void need_layout(Layout l, const char* why) const {
        if (layout_ != l) fail(std::string("expects ") + why + " here");
    }
    // Square window from kernel_shape, strides, dilations, auto_pad and pads (+ a merged Pad):
    // returns our padding, or fails if the pads are neither "valid" nor TensorFlow's "same".
    Padding window(int k, int stride, std::vector<std::int64_t> extra);

    void conv();
    void maxpool();
    void batchnorm();
    void flatten();
    void dense(const onnx::Tensor& w, bool transposed, const onnx::Tensor* bias);
    void dropout();
    // An Add of the layer before's output and an earlier one: a skip connection.
    void residual_add(const Node& n);
    // Notes the current tensor as one a later Add may take as its shortcut.
    void remember_current() { earlier_[current_] = {items_.size(), layout_, shape_, flatten_pending_}; }

    const onnx::ModelFile& m_;
    std::map<std::string, const onnx::Tensor*> consts_;
    std::deque<onnx::Tensor> node_constants_;  // outputs of Constant nodes (stable addresses)
    const Node* node_ = nullptr;
    std::size_t index_ = 0;

    Shape input_{};
    Shape shape_{};  // per-sample shape in our terms
    Layout layout_ = Layout::NCHW;
    std::string current_;
    std::vector<std::string> items_;
    std::vector<std::vector<float>> values_;  // parameter tensors in model order
    std::vector<std::size_t> flat_perm_;      // ours[i] = onnx[flat_perm_[i]] until the next dense
    std::vector<std::int64_t> pending_pad_;   // {top, left, bottom, right} of a Pad before a Conv
    std::string matmul_out_;                  // a MatMul whose bias (Add) may follow
    bool ended_ = false;                      // after the final Softmax
    // A flatten becomes a layer only when a layer follows: our model's output is a vector anyway,
    // so the Flatten an exporter adds to make 2-D logits adds nothing.
    bool flatten_pending_ = false;
    // Every tensor that was the current one: where in items_ a skip from it would go, and its
    // layout and shape there.
    struct Earlier {
        std::size_t item;
        Layout layout;
        Shape shape;
        bool flatten_pending;
    };
    std::map<std::string, Earlier> earlier_;
};

void Importer::start() {
    const onnx::Graph& g = m_.graph;
    const onnx::ValueInfo* in = nullptr;
    for (const auto& v : g.inputs)
        if (!consts_.count(v.name)) {
            if (in) fail("more than one input ('" + printable(in->name) + "', '" + printable(v.name) +
                         "'); digit-cnn models take one image batch");
            in = &v;
        }
    if (!in) fail("no graph input");
    if (in->elem_type != s::tensor::FLOAT) fail("input '" + printable(in->name) + "' is not float32");
    if (!in->has_shape || in->dims.size() != 4)
        fail("input '" + printable(in->name) + "' has shape " + ints_str(in->dims) +
             "; expected a batch of images, [batch, channels, height, width] or [batch, height, width, channels]");
    for (std::size_t i = 1; i < 4; ++i)
        if (in->dims[i] <= 0 || in->dims[i] > kMaxSide)
            fail("input '" + printable(in->name) + "' has shape " + ints_str(in->dims) + ": sizes must be 1 to " +
                 std::to_string(kMaxSide));
    // Our own files, and graphs that start by transposing NHWC to NCHW, take NHWC images.
    bool nhwc = m_.producer_name == "digit-cnn";
    for (const auto& n : g.nodes)
        if (!n.inputs.empty() && n.inputs[0] == in->name) {
            const onnx::Attribute* perm = n.find("perm");
            if (n.op_type == "Transpose" && perm && perm->ints == std::vector<std::int64_t>{0, 3, 1, 2}) nhwc = true;
            break;
        }
    const auto d = in->dims;
    input_ = nhwc ? Shape{int(d[1]), int(d[2]), int(d[3])} : Shape{int(d[2]), int(d[3]), int(d[1])};
    if (input_.size() > kMaxSampleFloats) fail("input '" + printable(in->name) + "' is too large");
    shape_ = input_;
    layout_ = nhwc ? Layout::NHWC : Layout::NCHW;
    current_ = in->name;
    remember_current();
}

Padding Importer::window(int k, int stride, std::vector<std::int64_t> extra) {
    for (std::int64_t d : attr_ints("dilations", {1, 1}))
        if (d != 1) fail("dilations other than 1 are not supported");
    const std::string auto_pad = attr_string("auto_pad", "NOTSET");
    std::vector<std::int64_t> pads = attr_ints("pads", {0, 0, 0, 0});
    if (pads.size() != 4) fail("pads " + ints_str(pads) + " should have 4 values");
    for (std::int64_t p : pads)
        if (p < 0 || p > 32) fail("pads " + ints_str(pads) + " are out of range (0 to 32)");
    const int sides[2] = {shape_.h, shape_.w};
    std::vector<std::int64_t> same(4, 0);
    for (int axis = 0; axis < 2; ++axis) {
        const WindowAxis a = window_axis(sides[axis], k, stride, Padding::Same);
        const int total = std::max((a.out - 1) * stride + k - sides[axis], 0);
        same[axis] = a.pad_before;
        same[axis + 2] = total - a.pad_before;
    }
    if (auto_pad == "VALID") {
        pads.assign(4, 0);
    } else if (auto_pad == "SAME_UPPER") {
        pads = same;
    } else if (auto_pad == "SAME_LOWER") {
        pads = {same[2], same[3], same[0], same[1]};
    } else if (auto_pad != "NOTSET") {
        fail("auto_pad '" + printable(auto_pad) + "' is not supported");
    }
    for (std::size_t i = 0; i < 4; ++i) pads[i] += extra.empty() ? 0 : extra[i];
    // "same" that pads nothing computes what "valid" does; SAME_UPPER keeps the spec's word.
    if (auto_pad == "SAME_UPPER" && extra.empty()) return Padding::Same;
    if (pads == std::vector<std::int64_t>(4, 0)) {
        if (shape_.h < k || shape_.w < k) fail("the window is larger than its " + shape_.str() + " input");
        return Padding::Valid;
    }
    if (pads == same) return Padding::Same;
    fail("pads " + ints_str(pads) + " (top, left, bottom, right) are neither none (\"valid\") nor TensorFlow's \"same\" " +
         ints_str(same) + " for this " + std::to_string(k) + "x" + std::to_string(k) + " window on a " +
         shape_.str() + " input; digit-cnn cannot express them");
}

void Importer::conv() {
    need_layout(Layout::NCHW, "NCHW activations (a Conv after flatten or on NHWC data)");
    const onnx::Tensor& w = *constant(1);
    if (w.dims.size() != 4) fail("weight '" + printable(w.name) + "' has shape " + ints_str(w.dims) + ", expected 4-D");
    const std::int64_t f = w.dims[0], c = w.dims[1], k = w.dims[2];
    if (attr_int("group", 1) != 1) fail("grouped convolutions are not supported");
    if (c != shape_.c) fail("weight has " + std::to_string(c) + " input channels, the input has " + std::to_string(shape_.c));
    if (w.dims[3] != k) fail("non-square kernels (" + ints_str(w.dims) + ") are not supported");
    if (f < 1 || f > kMaxSide || k < 1 || k > 32) fail("kernel shape " + ints_str(w.dims) + " is out of range");
    const auto ks = attr_ints("kernel_shape", {k, k});
    if (ks != std::vector<std::int64_t>{k, k}) fail("kernel_shape " + ints_str(ks) + " does not match the weight");
    const auto strides = attr_ints("strides", {1, 1});
    if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1 || strides[0] > 32)
        fail("strides " + ints_str(strides) + " are not supported (equal strides of 1 to 32 only)");
    Conv2DOptions o;
    o.filters = int(f);
    o.kernel = int(k);
    o.stride = int(strides[0]);
    o.padding = window(o.kernel, o.stride, pending_pad_);
    pending_pad_.clear();
    const std::vector<float>& oihw = floats(w);
    std::vector<float> kernel(oihw.size());
    for (std::int64_t fo = 0; fo < f; ++fo)
        for (std::int64_t ci = 0; ci < c; ++ci)
            for (std::int64_t ky = 0; ky < k; ++ky)
                for (std::int64_t kx = 0; kx < k; ++kx)
                    kernel[std::size_t(((ky * k + kx) * c + ci) * f + fo)] = oihw[std::size_t(((fo * c + ci) * k + ky) * k + kx)];
    const onnx::Tensor* b = constant(2, false);
    std::vector<float> bias = b ? vector_of(*b, int(f), "bias") : std::vector<float>(std::size_t(f), 0.0f);
    const Conv2D made(o);
    shape_ = made.output_shape(shape_);
    layer(made.spec(), {std::move(kernel), std::move(bias)});
}

void Importer::maxpool() {
    need_layout(Layout::NCHW, "NCHW activations");
    const auto ks = attr_ints("kernel_shape", {});
    if (ks.size() != 2 || ks[0] != ks[1] || ks[0] < 1 || ks[0] > 32)
        fail("kernel_shape " + ints_str(ks) + " is not supported (square windows of 1 to 32)");
    const auto strides = attr_ints("strides", {1, 1});
    if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1 || strides[0] > 32)
        fail("strides " + ints_str(strides) + " are not supported (equal strides of 1 to 32 only)");
    if (attr_int("ceil_mode", 0) != 0) fail("ceil_mode 1 is not supported");
    if (attr_int("storage_order", 0) != 0) fail("storage_order 1 is not supported");
    if (node_->outputs.size() > 1 && !node_->outputs[1].empty()) fail("the Indices output is not supported");
    MaxPoolOptions o;
    o.size = int(ks[0]);
    o.stride = int(strides[0]);
    o.padding = window(o.size, o.stride, {});
    const MaxPool2D made(o);
    shape_ = made.output_shape(shape_);
    layer(made.spec());
}

void Importer::batchnorm() {
    if (layout_ == Layout::NHWC) fail("expects NCHW activations (normalises axis 1)");
    if (attr_int("training_mode", 0) != 0) fail("training_mode 1 is not supported; export the model in eval mode");
    for (std::size_t i = 1; i < node_->outputs.size(); ++i)
        if (!node_->outputs[i].empty()) fail("running-statistics outputs (training mode) are not supported");
    const int c = shape_.c;
    std::vector<float> gamma = vector_of(*constant(1), c, "scale");
    std::vector<float> beta = vector_of(*constant(2), c, "bias");
    std::vector<float> mean = vector_of(*constant(3), c, "mean");
    std::vector<float> var = vector_of(*constant(4), c, "variance");
    for (float v : var)
        if (v < 0) fail("variance holds a negative value");
    const float epsilon = attr_float("epsilon", 1e-5f);
    if (!(epsilon >= 0 && epsilon < 1)) fail("epsilon " + std::to_string(epsilon) + " is out of range");
    // Our epsilon is fixed (Keras's 1e-3): fold another one into gamma, exact up to rounding.
    if (epsilon != BatchNorm::kEpsilon)
        for (int i = 0; i < c; ++i)
            gamma[std::size_t(i)] = float(gamma[std::size_t(i)] * std::sqrt(double(var[std::size_t(i)]) + BatchNorm::kEpsilon) /
                                          std::sqrt(double(var[std::size_t(i)]) + epsilon));
    if (!flat_perm_.empty()) {
        for (auto* v : {&gamma, &beta, &mean, &var}) {
            std::vector<float> p(v->size());
            for (std::size_t i = 0; i < p.size(); ++i) p[i] = (*v)[flat_perm_[i]];
            *v = std::move(p);
        }
    }
    const float momentum = attr_float("momentum", 0.9f);
    if (!(momentum >= 0 && momentum < 1)) fail("momentum " + std::to_string(momentum) + " is out of range [0, 1)");
    layer(BatchNorm(momentum).spec(), {std::move(gamma), std::move(beta), std::move(mean), std::move(var)});
}

void Importer::flatten() {
    if (layout_ == Layout::Flat) return;
    if (shape_.h * shape_.w == 1) {
        // {1, 1, c}: already a vector to our dense layers, in either order.
        layout_ = Layout::Flat;
        return;
    }
    if (layout_ == Layout::NCHW && shape_.c > 1) {
        // ONNX flattens NCHW as (c, y, x); our flatten of NHWC as (y, x, c).
        const std::size_t hw = std::size_t(shape_.h) * shape_.w;
        flat_perm_.resize(hw * shape_.c);
        for (std::size_t p = 0; p < hw; ++p)
            for (std::size_t ch = 0; ch < std::size_t(shape_.c); ++ch) flat_perm_[p * shape_.c + ch] = ch * hw + p;
    }
    flatten_pending_ = true;
    shape_ = {1, 1, int(shape_.size())};
    layout_ = Layout::Flat;
}

void Importer::dense(const onnx::Tensor& w, bool transposed, const onnx::Tensor* bias) {
    if (layout_ != Layout::Flat && shape_.h * shape_.w != 1) fail("expects a flattened input (add a Flatten before it)");
    if (w.dims.size() != 2) fail("weight '" + printable(w.name) + "' has shape " + ints_str(w.dims) + ", expected 2-D");
    const std::int64_t in = transposed ? w.dims[1] : w.dims[0];
    const std::int64_t out = transposed ? w.dims[0] : w.dims[1];
    if (in != std::int64_t(shape_.size()))
        fail("weight '" + printable(w.name) + "' takes " + std::to_string(in) + " inputs, the layer before gives " +
             std::to_string(shape_.size()));
    if (out < 1 || out > kMaxSide) fail("output size " + std::to_string(out) + " is out of range");
    const std::vector<float>& src = floats(w);
    std::vector<float> kernel(src.size());
    for (std::int64_t i = 0; i < in; ++i) {
        const std::int64_t from = flat_perm_.empty() ? i : std::int64_t(flat_perm_[std::size_t(i)]);
        for (std::int64_t o = 0; o < out; ++o)
            kernel[std::size_t(i * out + o)] = transposed ? src[std::size_t(o * in + from)] : src[std::size_t(from * out + o)];
    }
    flat_perm_.clear();
    std::vector<float> b = bias ? vector_of(*bias, int(out), "bias") : std::vector<float>(std::size_t(out), 0.0f);
    layer(Dense(int(out)).spec(), {std::move(kernel), std::move(b)});
    shape_ = {1, 1, int(out)};
    layout_ = Layout::Flat;
}

void Importer::dropout() {
    float rate = attr_float("ratio", 0.5f);  // an attribute before opset 12, an input since
    if (const onnx::Tensor* r = constant(1, false)) {
        if (r->count() != 1) fail("ratio should be a scalar");
        rate = floats(*r)[0];
    }
    if (const onnx::Tensor* t = constant(2, false))
        if (ints(*t).size() != 1 || ints(*t)[0] != 0) fail("training_mode true is not supported");
    try {
        layer(Dropout(rate).spec());
    } catch (const SpecError& e) {
        fail(e.what());
    }
}

void Importer::node(const Node& n) {
    const std::string& op = n.op_type;
    if (!n.domain.empty() && n.domain != "ai.onnx") fail("operators of domain '" + printable(n.domain) + "' are not supported");
    if (n.outputs.empty() || n.outputs[0].empty()) fail("the node has no output");
    if (op == "Constant") {
        const onnx::Attribute* v = n.find("value");
        if (!v || !v->has_t) fail("only Constant nodes with a tensor 'value' are supported");
        node_constants_.push_back(v->t);
        consts_[n.outputs[0]] = &node_constants_.back();
        return;
    }
    // Computations on constants only (the pads of PyTorch's F.pad) become constants.
    std::vector<const onnx::Tensor*> const_inputs;
    bool all_const = !n.inputs.empty();
    for (const auto& i : n.inputs) {
        const auto it = consts_.find(i);
        if (!i.empty() && it == consts_.end()) all_const = false;
        const_inputs.push_back(i.empty() || it == consts_.end() ? nullptr : it->second);
    }
    onnx::Tensor folded;
    if (all_const && onnx::fold_constant(n, const_inputs, folded)) {
        node_constants_.push_back(std::move(folded));
        consts_[n.outputs[0]] = &node_constants_.back();
        return;
    }
    const bool two_tensors = n.inputs.size() == 2 && !n.inputs[0].empty() && !n.inputs[1].empty() &&
                             !consts_.count(n.inputs[0]) && !consts_.count(n.inputs[1]);
    if (op == "Add" && two_tensors && matmul_out_.empty()) {
        if (ended_) fail("nothing but Identity may follow the final Softmax");
        if (!pending_pad_.empty()) fail("a Pad is supported only right before a Conv");
        residual_add(n);
        current_ = n.outputs[0];
        remember_current();
        return;
    }
    // The data input: the first input that is not a constant.
    std::string data;
    for (const auto& i : n.inputs)
        if (!i.empty() && !consts_.count(i)) {
            data = i;
            break;
        }
    if (data != current_)
        fail("its input '" + printable(data) + "' is not the output of the layer before ('" + printable(current_) +
             "'); digit-cnn imports chains of layers, one input and one output each");
    if (ended_ && op != "Identity") fail("nothing but Identity may follow the final Softmax");
    if (!pending_pad_.empty() && op != "Conv") fail("a Pad is supported only right before a Conv");
    const std::string matmul = matmul_out_;
    matmul_out_.clear();

    if (op == "Identity") {
    } else if (op == "Transpose") {
        const auto perm = attr_ints("perm", {});
        if (layout_ == Layout::NHWC && perm == std::vector<std::int64_t>{0, 3, 1, 2}) layout_ = Layout::NCHW;
        else if (layout_ == Layout::NCHW && perm == std::vector<std::int64_t>{0, 2, 3, 1}) layout_ = Layout::NHWC;
        else fail("perm " + ints_str(perm) + " is not supported (only NHWC <-> NCHW)");
    } else if (op == "Pad") {
        need_layout(Layout::NCHW, "NCHW activations");
        if (attr_string("mode", "constant") != "constant") fail("only constant padding is supported");
        const onnx::Tensor* pads_t = constant(1, false);
        const std::vector<std::int64_t> pads = pads_t ? ints(*pads_t) : attr_ints("pads", {});
        if (const onnx::Tensor* v = constant(2, false))
            if (floats(*v).size() != 1 || floats(*v)[0] != 0.0f) fail("only zero padding is supported");
        if (attr_float("value", 0.0f) != 0.0f) fail("only zero padding is supported");
        if (n.inputs.size() > 3 && !n.inputs[3].empty()) fail("the axes input is not supported");
        if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5])
            fail("pads " + ints_str(pads) + " should pad height and width only");
        for (std::int64_t p : pads)
            if (p < 0 || p > 32) fail("pads " + ints_str(pads) + " are out of range (0 to 32)");
        pending_pad_ = {pads[2], pads[3], pads[6], pads[7]};
    } else if (op == "Conv") {
        conv();
    } else if (op == "Relu") {
        layer("relu");
    } else if (op == "MaxPool") {
        maxpool();
    } else if (op == "BatchNormalization") {
        batchnorm();
    } else if (op == "GlobalAveragePool") {
        need_layout(Layout::NCHW, "NCHW activations");
        layer("gap");
        shape_ = {1, 1, shape_.c};
    } else if (op == "Flatten") {
        if (attr_int("axis", 1) != 1) fail("axis " + std::to_string(attr_int("axis", 1)) + " is not supported (only 1)");
        flatten();
    } else if (op == "Reshape") {
        const std::vector<std::int64_t>& shape = ints(*constant(1));
        const auto total = std::int64_t(shape_.size());
        const bool to_2d = shape.size() == 2 && (shape[0] == 0 || shape[0] == -1) &&
                           (shape[1] == total || (shape[1] == -1 && shape[0] == 0));
        if (!to_2d) fail("shape " + ints_str(shape) + " is not a flatten to [batch, " + std::to_string(total) + "]");
        flatten();
    } else if (op == "Gemm") {
        if (attr_float("alpha", 1.0f) != 1.0f || attr_int("transA", 0) != 0) fail("alpha != 1 or transA is not supported");
        const onnx::Tensor* c = constant(2, false);
        if (c && attr_float("beta", 1.0f) != 1.0f) fail("beta != 1 is not supported");
        dense(*constant(1), attr_int("transB", 0) != 0, c);
    } else if (op == "MatMul") {
        dense(*constant(1), false, nullptr);
        matmul_out_ = n.outputs[0];
    } else if (op == "Add") {
        if (matmul.empty()) fail("Add is supported only as the bias of a MatMul");
        if (n.inputs.size() != 2) fail("expects the MatMul's output and a constant bias");
        const std::string& other = n.inputs[0] == current_ ? n.inputs[1] : n.inputs[0];
        const auto b = consts_.find(other);
        if (b == consts_.end()) fail("expects the MatMul's output and a constant bias");
        values_.back() = vector_of(*b->second, shape_.c, "bias");
    } else if (op == "Dropout") {
        dropout();
    } else if (op == "Softmax") {
        const std::int64_t axis = attr_int("axis", m_.opset >= 13 || m_.opset == 0 ? -1 : 1);
        if (layout_ != Layout::Flat && shape_.h * shape_.w != 1) fail("expects 2-D logits");
        if (axis != -1 && axis != 1) fail("axis " + std::to_string(axis) + " is not supported");
        ended_ = true;
    } else {
        fail("operator " + printable(op) +
             " is not supported (supported: Conv, Pad, Relu, MaxPool, BatchNormalization, GlobalAveragePool, Flatten, "
             "Reshape, Gemm, MatMul, Add, Dropout, Identity, Transpose, Softmax)");
    }
    current_ = n.outputs[0];
    remember_current();
}

void Importer::residual_add(const Node& n) {
    const std::string& a = n.inputs[0];
    const std::string& b = n.inputs[1];
    if (a != current_ && b != current_)
        fail("neither input ('" + printable(a) + "', '" + printable(b) + "') is the output of the layer before ('" +
             printable(current_) + "')");
    const std::string& other = a == current_ ? b : a;
    if (other == current_) fail("adds a tensor to itself");
    const auto it = earlier_.find(other);
    if (it == earlier_.end())
        fail("its input '" + printable(other) + "' is neither a constant nor the output of an earlier layer");
    const Earlier e = it->second;
    if (flatten_pending_ || e.flatten_pending) fail("a shortcut across a Flatten is not supported");
    if (e.layout != layout_ || e.shape != shape_)
        fail("adds '" + printable(other) + "' (" + e.shape.str() + ") to '" + printable(current_) + "' (" +
             shape_.str() + ") in another shape or layout; a skip connection must keep both");
    if (e.item == items_.size()) fail("adds '" + printable(other) + "' to itself through layers that compute nothing");
    // The skip goes where the shortcut was the current tensor, the add at the end. They pair up
    // as the model will pair them (each add closes the latest open skip) only if every skip in
    // between is closed in between: shortcuts that cross cannot be written as a spec.
    int depth = 0;
    for (std::size_t i = e.item; i < items_.size(); ++i) {
        depth += items_[i] == "skip" ? 1 : items_[i] == "add" ? -1 : 0;
        if (depth < 0) break;
    }
    if (depth != 0) fail("its shortcut crosses another one; digit-cnn nests skip connections like brackets");
    items_.insert(items_.begin() + std::ptrdiff_t(e.item), "skip");
    for (auto& [name, later] : earlier_)
        if (later.item > e.item) ++later.item;
    items_.push_back("add");
}

Model Importer::run() {
    start();
    for (index_ = 0; index_ < m_.graph.nodes.size(); ++index_) {
        node_ = &m_.graph.nodes[index_];
        try {
            node(*node_);
        } catch (const SpecError& e) {
            fail(e.what());
        }
        if (shape_.size() > kMaxSampleFloats)
            fail("its output has " + std::to_string(shape_.size()) + " values per image, more than digit-cnn allows (" +
                 std::to_string(kMaxSampleFloats) + ")");
    }
    node_ = nullptr;
    if (items_.empty()) fail("no layers found");
    if (!pending_pad_.empty()) fail("a Pad at the end of the graph");
    if (!flat_perm_.empty()) fail("the model ends in a flatten of NCHW data without a dense layer after it");
    if (layout_ == Layout::NCHW && shape_.h * shape_.w > 1 && shape_.c > 1)
        fail("the output is an NCHW feature map, not a vector of logits");
    bool is_output = false;
    for (const auto& o : m_.graph.outputs) is_output |= o.name == current_;
    if (!is_output) fail("the last node's output '" + printable(current_) + "' is not a graph output");

    std::string spec = "input " + input_.str();
    if (input_.h * input_.w == 1) spec = "input 1x1x" + std::to_string(input_.c);
    for (const auto& item : items_) spec += " | " + item;
    Model model;
    try {
        model = Model::from_spec(spec);
    } catch (const SpecError& e) {
        throw OnnxError("ONNX graph makes a model digit-cnn cannot build (" + printable(spec, 200) + "): " + e.what());
    }
    auto params = model.params();
    if (params.size() != values_.size()) throw OnnxError("internal: ONNX import produced the wrong number of tensors");
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].size != values_[i].size())
            throw OnnxError("internal: ONNX import tensor " + params[i].name + " has the wrong size");
        std::copy(values_[i].begin(), values_[i].end(), params[i].value);
    }
    return model;
}

// JSON string contents for a producer name (which a hostile file controls): printable ASCII only.
std::string json_safe(const std::string& s) {
    std::string out;
    for (char ch : s)
        if (ch >= 32 && ch < 127 && ch != '"' && ch != '\\' && out.size() < 100) out += ch;
    return out;
}

}  // namespace

Model decode_onnx(const std::uint8_t* data, std::size_t size, std::string* metadata) {
    const onnx::ModelFile file = onnx::parse_model(data, size);
    Model model = Importer(file).run();
    if (metadata) {
        auto it = file.metadata.find("digit-cnn.metadata");
        if (file.producer_name == "digit-cnn" && it != file.metadata.end()) {
            *metadata = it->second;
        } else {
            *metadata = "{\"source\": \"onnx\", \"producer\": \"" + json_safe(file.producer_name) + " " +
                        json_safe(file.producer_version) + "\"}";
        }
    }
    return model;
}

}  // namespace cnn
