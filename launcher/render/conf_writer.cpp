#include "conf_writer.hpp"

#include "profile/display_text.hpp"

namespace wsgid::render {

void ConfWriter::indent() { text_.append(static_cast<std::size_t>(depth_) * 4, ' '); }

void ConfWriter::directive(std::string_view name, std::string_view arguments) {
  indent();
  text_ += name;
  if (!arguments.empty()) {
    text_ += ' ';
    text_ += arguments;
  }
  text_ += '\n';
}

void ConfWriter::open(std::string_view section, std::string_view arguments) {
  indent();
  text_ += '<';
  text_ += section;
  text_ += ' ';
  text_ += arguments;
  text_ += ">\n";
  ++depth_;
}

void ConfWriter::close(std::string_view section) {
  --depth_;
  indent();
  text_ += "</";
  text_ += section;
  text_ += ">\n";
}

void ConfWriter::comment(std::string_view text) {
  indent();
  text_ += "# ";
  // Comments quote names the user chose (the profile's path): a newline in one would end the
  // comment and start a directive.
  text_ += profile::escape_control(text);
  text_ += '\n';
}

void ConfWriter::blank() { text_ += '\n'; }

}  // namespace wsgid::render
