#include "output.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

namespace crmrules::cli {

result<std::unique_ptr<output>> output::open(const std::string& path) {
  std::unique_ptr<output> o(new output());
  if (path.empty() || path == "-") {
    o->path_ = "standard output";
    o->out_ = &std::cout;
    return o;
  }
  o->path_ = path;
  o->file_ = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*o->file_) {
    return status::not_found("cannot write '" + path + "': " + std::strerror(errno));
  }
  o->out_ = o->file_.get();
  return o;
}

status output::finish() {
  out_->flush();
  if (file_) file_->close();
  if (!*out_) return status::unavailable("could not write all of " + path_);
  return {};
}

}  // namespace crmrules::cli
