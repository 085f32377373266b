#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "wsgid " << WSGID_VERSION << "\n";
    return 0;
  }
  std::cerr << "usage: wsgid --version\n";
  return 2;
}
