#include "ring_mappings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

namespace wsgid {
namespace {

struct Mapped {
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint32_t size = 0;
  std::shared_ptr<ring::RingReader> reader;
};

struct Mappings {
  std::mutex mutex;
  std::unordered_map<int, Mapped> by_connection;
};

Mappings& mappings() {
  static auto* m = new Mappings;  // never destroyed: used until the child exits
  return *m;
}

}  // namespace

std::shared_ptr<ring::RingReader> ring_for_connection(int connection, int memfd, std::uint32_t size,
                                                      std::string& why) {
  struct stat st {};
  if (fstat(memfd, &st) != 0) {
    close(memfd);
    why = "fstat on the ring failed";
    return nullptr;
  }
  Mappings& m = mappings();
  {
    std::lock_guard lock(m.mutex);
    auto it = m.by_connection.find(connection);
    // The same memfd as before: its size and seals were checked when it was mapped, and a
    // sealed memfd keeps both.
    if (it != m.by_connection.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino &&
        it->second.size == size) {
      close(memfd);
      return it->second.reader;
    }
  }
  auto reader = std::make_shared<ring::RingReader>();
  if (!reader->attach(memfd, size, why)) return nullptr;
  std::lock_guard lock(m.mutex);
  m.by_connection[connection] = Mapped{st.st_dev, st.st_ino, size, reader};
  return reader;
}

void forget_ring(int connection) {
  std::shared_ptr<ring::RingReader> last;  // unmapped outside the lock
  Mappings& m = mappings();
  std::lock_guard lock(m.mutex);
  auto it = m.by_connection.find(connection);
  if (it == m.by_connection.end()) return;
  last = std::move(it->second.reader);
  m.by_connection.erase(it);
}

}  // namespace wsgid
