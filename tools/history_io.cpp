#include "history_io.hpp"

#include <cmath>
#include <limits>

#include "svg_plot.hpp"
#include "text_format.hpp"

namespace tools {

nlohmann::json history_json(const cnn::History& h) {
    nlohmann::json j;
    auto column = [&](const char* name, auto get) {
        auto a = nlohmann::json::array();
        for (const auto& e : h.epochs) a.push_back(get(e));
        j[name] = a;
    };
    auto val = [](const cnn::EpochStats& e, double v) {
        return e.has_validation ? nlohmann::json(v) : nlohmann::json();
    };
    column("epoch", [](const cnn::EpochStats& e) { return e.epoch; });
    column("loss", [](const cnn::EpochStats& e) { return e.loss; });
    column("accuracy", [](const cnn::EpochStats& e) { return e.accuracy; });
    column("val_loss", [&](const cnn::EpochStats& e) { return val(e, e.val_loss); });
    column("val_accuracy", [&](const cnn::EpochStats& e) { return val(e, e.val_accuracy); });
    column("seconds", [](const cnn::EpochStats& e) { return e.seconds; });
    column("images_per_second", [](const cnn::EpochStats& e) { return e.images_per_second; });
    column("improved", [](const cnn::EpochStats& e) { return e.improved; });
    j["best_epoch"] = h.best_epoch;
    j["stopped_early"] = h.stopped_early;
    j["cancelled"] = h.cancelled;
    return j;
}

std::string history_csv(const cnn::History& h) {
    std::string csv = "epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second\n";
    for (const auto& e : h.epochs) {
        csv += format("%d,%.6f,%.6f,", e.epoch, e.loss, e.accuracy);
        csv += e.has_validation ? format("%.6f,%.6f,", e.val_loss, e.val_accuracy) : std::string(",,");
        csv += format("%.3f,%.1f\n", e.seconds, e.images_per_second);
    }
    return csv;
}

std::string history_svg(const cnn::History& h, const std::string& title) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Chart chart;
    chart.title = title;
    chart.xlabel = "epoch";
    Series loss{"train", {}, "#1f77b4"}, val_loss{"validation", {}, "#ff7f0e"};
    Series acc{"train", {}, "#1f77b4"}, val_acc{"validation", {}, "#ff7f0e"};
    for (const auto& e : h.epochs) {
        chart.x.push_back(e.epoch);
        loss.y.push_back(e.loss);
        acc.y.push_back(e.accuracy);
        val_loss.y.push_back(e.has_validation ? e.val_loss : nan);
        val_acc.y.push_back(e.has_validation ? e.val_accuracy : nan);
    }
    if (h.best_epoch > 0) {
        chart.marker_x = h.best_epoch;
        chart.marker_label = "best (epoch " + std::to_string(h.best_epoch) + ")";
    }
    chart.panels.push_back({"Loss", "loss", {loss, val_loss}, true});
    chart.panels.push_back({"Accuracy", "accuracy", {acc, val_acc}, false});
    return render_svg(chart);
}

}  // namespace tools
