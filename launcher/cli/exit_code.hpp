// The launcher's exit codes, part of its CLI contract (docs/cli.md).
#pragma once

namespace wsgid::cli {

enum ExitCode : int {
  kOk = 0,
  kRuntimeFailure = 1,
  kUsageError = 2,
  kInvalidProfile = 3,
};

}  // namespace wsgid::cli
