// Learning mode of the Landlock filesystem scope (sandbox-filesystem=log): Landlock cannot
// report what it would refuse, so instead of enforcing it the daemon watches Python's audit
// events for files being opened, listed, created or removed, and logs (WSGID0552) each path
// outside the lists the scope would grant, once. Native code that opens files without an audit
// event (a C library reading its own configuration) is not seen.
#pragma once

#include <string>
#include <vector>

namespace wsgid::python {

// Installs a runtime-wide audit hook (every application group's interpreter). Call with Python
// started. `who` names the daemon in log lines.
void install_path_audit(std::string who, std::vector<std::string> read,
                        std::vector<std::string> write);

}  // namespace wsgid::python
