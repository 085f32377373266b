// ap_random_insecure_bytes lives in the httpd binary, which a test executable cannot link; this
// keeps its contract (fill the buffer with unpredictable bytes) with the kernel's generator.
#include <httpd.h>
#include <sys/random.h>

extern "C" void ap_random_insecure_bytes(void* buf, apr_size_t size) {
  auto* out = static_cast<unsigned char*>(buf);
  while (size > 0) {
    const ssize_t n = getrandom(out, size, 0);
    if (n <= 0) continue;  // EINTR; the kernel's generator does not fail otherwise
    out += n;
    size -= static_cast<apr_size_t>(n);
  }
}
