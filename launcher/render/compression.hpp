// site.compression: brotli or gzip for text responses, rendered into the site's VirtualHost.
// Never for other types (images, archives: already compressed), bodies under 1 KiB, Range
// requests (the range then means the file's bytes) or text/event-stream; the filters flush
// with the app, so streaming responses still arrive as they are written.
#pragma once

#include "conf_writer.hpp"

namespace wsgid::render {

void compression(ConfWriter& w);

}  // namespace wsgid::render
