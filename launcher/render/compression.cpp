#include "compression.hpp"

#include <string>

#include "directive_arg.hpp"

namespace wsgid::render {
namespace {

// Bracket classes instead of backslashes, so the expression reads the same in the config.
constexpr std::string_view kCompressible =
    "%{CONTENT_TYPE} =~ m#^(text/|application/(json|javascript|ecmascript|xml|[^;]*[+](json|xml))"
    "([ ;]|$)|image/(svg[+]xml|x-icon|vnd[.]microsoft[.]icon)([ ;]|$)|font/(ttf|otf)([ ;]|$))#i"
    " && ! %{CONTENT_TYPE} =~ m#^text/event-stream#i";
// A body of known length under 1 KiB gains too little to pay for the header and the CPU; a
// streamed body (no Content-Length) is compressed. req_novary: Range does not add to Vary.
constexpr std::string_view kWorthIt =
    "-z req_novary('Range') && (-z resp('Content-Length') || resp('Content-Length') -ge 1024)";

}  // namespace

void compression(ConfWriter& w) {
  const std::string when = std::string(kCompressible) + " && " + std::string(kWorthIt);
  w.comment("Compression (site.compression): brotli when the client accepts it, else gzip.");
  w.comment("Each filter adds Vary: Accept-Encoding and checks the client's q-values itself.");
  w.directive("FilterDeclare", "wsgid_brotli CONTENT_SET");
  w.directive("FilterProvider", "wsgid_brotli BROTLI_COMPRESS " + directive_arg(when));
  w.directive("FilterDeclare", "wsgid_gzip CONTENT_SET");
  w.directive("FilterProvider", "wsgid_gzip DEFLATE " + directive_arg(when));
  w.directive("FilterChain", "wsgid_brotli wsgid_gzip");
  w.comment("A compressed response's ETag gets \"-br\"/\"-gzip\" (a strong ETag per encoding);");
  w.comment("the suffix is taken off validators clients send back, so 304s and If-Match work.");
  for (const char* header : {"If-None-Match", "If-Match"}) {
    w.directive("RequestHeader", std::string("edit* ") + header + " " +
                                     directive_arg("-(gzip|br)(\"|$)") + " " + directive_arg("$2"));
  }
}

}  // namespace wsgid::render
