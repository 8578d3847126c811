#include "progress_bar.hpp"

#include <algorithm>
#include <cmath>

#include <sys/ioctl.h>
#include <unistd.h>

#include "text_format.hpp"

namespace tools {

namespace {

int terminal_columns() {
    winsize ws{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

std::string bar(double fraction, int width) {
    const int filled = std::clamp(int(fraction * width), 0, width);
    std::string s = "[" + std::string(std::size_t(filled), '=');
    if (filled < width) s += '>' + std::string(std::size_t(width - filled - 1), '.');
    return s + "]";
}

}  // namespace

ProgressBar::ProgressBar() : tty_(isatty(STDERR_FILENO) == 1) {}

void ProgressBar::on_batch(const cnn::Progress& p) {
    if (p.epoch != epoch_) {
        epoch_ = p.epoch;
        last_quarter_ = 0;
    }
    const double fraction = p.batches ? double(p.batch) / p.batches : 1.0;
    const std::string head = format("Epoch %d/%d ", p.epoch, p.epochs);
    const std::string tail =
        format(" %d/%d - loss %.4f - acc %.4f - %s img/s - ETA %s", p.batch, p.batches, p.loss, p.accuracy,
               with_commas(std::size_t(std::lround(p.images_per_second))).c_str(),
               format_duration(p.eta_seconds).c_str());
    if (!tty_) {
        // Logs get a line at each quarter of an epoch; the epoch line reports the end.
        const int quarter = p.batches ? p.batch * 4 / p.batches : 4;
        if (quarter > last_quarter_ && quarter < 4) {
            last_quarter_ = quarter;
            std::fprintf(stderr, "%s%s%s\n", head.c_str(), bar(fraction, 20).c_str(), tail.c_str());
            std::fflush(stderr);
        }
        return;
    }
    const double now = cnn::now_seconds();
    if (p.batch != p.batches && last_draw_ >= 0 && now - last_draw_ < 0.1) return;
    last_draw_ = now;
    // Stay one column short of the terminal width: a wrapped line cannot be redrawn with \r.
    const int room = terminal_columns() - 1 - int(head.size() + tail.size());
    std::string line = head + (room >= 12 ? bar(fraction, std::min(30, room - 2)) : "") + tail;
    line = line.substr(0, std::size_t(std::max(0, terminal_columns() - 1)));
    std::fprintf(stderr, "\r%s", line.c_str());
    if (line.size() < drawn_) std::fprintf(stderr, "%s", std::string(drawn_ - line.size(), ' ').c_str());
    std::fflush(stderr);
    drawn_ = line.size();
}

void ProgressBar::clear() {
    if (!tty_ || drawn_ == 0) return;
    std::fprintf(stderr, "\r%s\r", std::string(drawn_, ' ').c_str());
    std::fflush(stderr);
    drawn_ = 0;
}

void ProgressBar::on_epoch(const cnn::EpochStats& s, int epochs) {
    clear();
    std::printf("%s\n", epoch_line(s, epochs).c_str());
    std::fflush(stdout);
}

std::string epoch_line(const cnn::EpochStats& s, int epochs) {
    std::string line =
        format("Epoch %d/%d - %s - %s img/s - loss: %.4f - accuracy: %.4f", s.epoch, epochs,
               format_duration(s.seconds).c_str(),
               with_commas(std::size_t(std::lround(s.images_per_second))).c_str(), s.loss, s.accuracy);
    if (s.has_validation)
        line += format(" - val_loss: %.4f - val_accuracy: %.4f", s.val_loss, s.val_accuracy);
    if (s.improved) line += " *";
    return line;
}

}  // namespace tools
