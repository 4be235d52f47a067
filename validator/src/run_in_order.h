// Tasks on a few threads, their results handed on in task order: the
// repository scanner (scan.cc) and remote checks (validator/remote/) run
// their files through it.
#ifndef STGUARD_SRC_RUN_IN_ORDER_H_
#define STGUARD_SRC_RUN_IN_ORDER_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace stguard::internal {

// Runs tasks on `jobs` threads and hands each result to `emit` in task
// order. A worker starts task k only when k < emitted + jobs, so at most
// `jobs` results (and validations) are alive at once.
template <typename Result>
void RunInOrder(size_t count, unsigned jobs, const std::function<Result(size_t)>& task,
                const std::function<void(Result&&)>& emit) {
  if (count == 0) return;
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(count)));
  std::vector<std::optional<Result>> results(count);
  std::mutex mutex;
  std::condition_variable changed;
  size_t next = 0, emitted = 0;
  const auto work = [&] {
    while (true) {
      size_t k;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return next >= count || next < emitted + jobs; });
        if (next >= count) return;
        k = next++;
      }
      Result result = task(k);
      {
        std::lock_guard<std::mutex> lock(mutex);
        results[k] = std::move(result);
      }
      changed.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(work);
  for (size_t k = 0; k < count; ++k) {
    Result result;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return results[k].has_value(); });
      result = std::move(*results[k]);
      results[k].reset();
    }
    emit(std::move(result));
    {
      std::lock_guard<std::mutex> lock(mutex);
      emitted = k + 1;
    }
    changed.notify_all();
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace stguard::internal

#endif  // STGUARD_SRC_RUN_IN_ORDER_H_
