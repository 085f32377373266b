// Builds httpd config text with consistent indentation. Arguments are passed already
// formatted: user values through directive_arg(), fixed keywords as they are.
#pragma once

#include <string>
#include <string_view>

namespace wsgid::render {

class ConfWriter {
 public:
  void directive(std::string_view name, std::string_view arguments = {});
  void open(std::string_view section, std::string_view arguments);  // <Section args>
  void close(std::string_view section);                             // </Section>
  void comment(std::string_view text);
  void blank();
  const std::string& text() const { return text_; }

 private:
  void indent();
  std::string text_;
  int depth_ = 0;
};

}  // namespace wsgid::render
