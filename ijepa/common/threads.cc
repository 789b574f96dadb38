#include "ijepa/common/threads.h"

#include <ATen/Parallel.h>

#include <thread>

namespace ijepa {

int ConfigureIntraOpThreads(int requested) {
  int threads = requested;
  if (threads <= 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;  // hardware_concurrency() may return 0 when unknown.
  }
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace ijepa
