// A small fixed-size thread pool. Work is always split into tasks whose boundaries do not depend
// on the thread count, and reductions run in task order, so results are bit-identical for any
// number of threads.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cnn {

class ThreadPool {
public:
    // threads <= 1 runs everything on the calling thread.
    explicit ThreadPool(int threads = 1);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return int(workers_.size()) + 1; }

    // Runs fn(task) for task in [0, tasks); the calling thread takes part. Returns when all are
    // done. The first exception thrown by a task is rethrown here.
    void run(int tasks, const std::function<void(int)>& fn);

private:
    void worker_loop();
    void drain();

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int)>* job_ = nullptr;
    int tasks_ = 0;
    int next_ = 0;
    int finished_ = 0;
    unsigned generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

// Number of fixed-size chunks of `chunk` items covering `count` items.
inline int chunk_count(int count, int chunk) { return (count + chunk - 1) / chunk; }

// Samples per task in batch-parallel kernels. Fixed, so results do not depend on thread count.
constexpr int kSamplesPerTask = 8;

}  // namespace cnn
