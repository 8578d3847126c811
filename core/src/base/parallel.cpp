#include "cnn/base/parallel.hpp"

namespace cnn {

ThreadPool::ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

// Takes tasks until none are left; called by workers and by the thread that called run().
void ThreadPool::drain() {
    for (;;) {
        int task;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (next_ >= tasks_) return;
            task = next_++;
        }
        try {
            (*job_)(task);
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        bool all_done;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            all_done = ++finished_ == tasks_;
        }
        if (all_done) done_.notify_all();
    }
}

void ThreadPool::worker_loop() {
    unsigned seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
        }
        drain();
    }
}

void ThreadPool::run(int tasks, const std::function<void(int)>& fn) {
    if (tasks <= 0) return;
    if (workers_.empty() || tasks == 1) {
        for (int t = 0; t < tasks; ++t) fn(t);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = &fn;
        tasks_ = tasks;
        next_ = 0;
        finished_ = 0;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    drain();
    std::exception_ptr error;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return finished_ == tasks_; });
        job_ = nullptr;
        tasks_ = 0;
        error = error_;
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace cnn
