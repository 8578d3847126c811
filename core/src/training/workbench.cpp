#include "cnn/training/workbench.hpp"

#include <algorithm>
#include <utility>

#include "cnn/base/error.hpp"
#include "cnn/model/spec.hpp"
#include "cnn/training/manifest.hpp"

namespace cnn {

Workbench::Workbench() : model_(Model::from_spec(kSeedSpec, 1)) {}
Workbench::~Workbench() = default;

void Workbench::replace_model(LoadedModel m) {
    run_.reset();
    model_ = std::move(m);
}

void Workbench::load_model(const std::uint8_t* data, std::size_t size) {
    LoadedModel m = decode_loaded_model(data, size);
    require_digit_model(m.model());
    replace_model(std::move(m));
}

int Workbench::set_threads(int n) {
    if (running()) throw Error("cannot change threads while training");
    n = std::max(1, n);
    run_.reset();  // the trainer holds the old pool
    pool_ = n > 1 ? std::make_unique<ThreadPool>(n) : nullptr;
    return n;
}

void Workbench::set_data(Dataset train, Dataset test) {
    auto d = std::make_unique<Data>();
    d->train = std::move(train);
    d->test = std::move(test);
    run_.reset();
    data_ = std::move(d);
}

void Workbench::set_negatives(Dataset negatives) { negatives_ = std::move(negatives); }

const Dataset& Workbench::data(const std::string& which) const {
    if (which != "train" && which != "test") throw Error("no data set named '" + which + "'");
    if (!data_) throw Error("no MNIST data loaded");
    return which == "train" ? data_->train : data_->test;
}

void Workbench::start(const RunSettings& settings, const std::string& trained, Checkpoint* resumed) {
    auto r = std::make_unique<Run>();
    r->options = settings.options;
    std::tie(r->train, r->validation) =
        split_first(data("train"), settings.train_size, r->options.validation_split);
    Model m = resumed ? std::move(resumed->model) : Model::from_spec(settings.spec, r->options.seed);
    // The previous run is set aside untouched while the new one is checked. Its trainer refers
    // to model_, whose layers (held by pointer) keep their addresses when the model moves out
    // and back, so a refused start restores the model and the run as they were.
    std::unique_ptr<Run> previous_run = std::move(run_);
    LoadedModel previous = std::exchange(model_, LoadedModel(std::move(m)));
    try {  // the trainer checks the options, the data and the checkpoint against the new model
        r->trainer = std::make_unique<Trainer>(model_.model(), r->train, &r->validation, r->options, pool_.get());
        if (resumed) r->trainer->restore(resumed->state);
    } catch (...) {
        model_ = std::move(previous);
        run_ = std::move(previous_run);
        throw;
    }
    previous_run.reset();
    r->manifest = training_manifest(model_.model(), r->options, model_.input(), r->train.n, r->validation.n);
    r->manifest["trained"] = trained;
    run_ = std::move(r);
}

bool Workbench::running() const { return run_ && !run_->trainer->done(); }

Workbench::Run& Workbench::run() const {
    if (!run_) throw Error("training has not been started");
    return *run_;
}

Trainer& Workbench::trainer() const { return *run().trainer; }
const Dataset& Workbench::train_split() const { return run().train; }
const Dataset& Workbench::validation_split() const { return run().validation; }

std::vector<std::uint8_t> Workbench::checkpoint() {
    return encode_checkpoint(model_.model(), run().trainer->state());
}

std::string Workbench::training_metadata() const {
    nlohmann::json m = run().manifest;
    add_run_results(m, run().trainer->history(), run().options.restore_best);
    return m.dump();
}

Evaluation Workbench::evaluate_test() {
    const Evaluation ev = model_.evaluate(data("test"), pool_.get());
    if (run_) add_test_results(run_->manifest, ev);
    return ev;
}

FineTuneResult Workbench::fine_tune(const Dataset& mine, const FineTuneOptions& options,
                                    const FineTuneProgress& progress) {
    if (running()) throw Error("a training run is in progress: adapt the model after it ends");
    Dataset scratch, negatives_scratch;
    const Dataset none;
    const Dataset& negatives =
        options.negatives_per_batch > 0 ? model_.prepared(negatives_, negatives_scratch) : none;
    return cnn::fine_tune(model_.model(), mine, model_.prepared(data("train"), scratch), negatives, options,
                          pool_.get(), progress);
}

}  // namespace cnn
