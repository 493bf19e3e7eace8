#include "csv_reader.hpp"

#include <cstdio>

namespace crmrules::cli {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

}  // namespace

csv_reader::csv_reader(std::string_view data, char delimiter) noexcept
    : data_(data), delimiter_(delimiter) {
  if (data_.starts_with(utf8_bom)) pos_ = utf8_bom.size();
}

std::string describe_byte(std::string_view data, std::size_t offset) {
  if (offset >= data.size()) return "the end of the input";
  const auto c = static_cast<unsigned char>(data[offset]);
  if (c == '\n' || c == '\r') return "a line break";
  if (c == '"') return "'\"'";
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", c);
  return std::string("byte ") + hex;
}

void csv_reader::skip_to_next_line() noexcept {
  const std::size_t nl = data_.find('\n', pos_);
  if (nl == std::string_view::npos) {
    pos_ = data_.size();
  } else {
    pos_ = nl + 1;
    ++line_;
  }
}

csv_reader::outcome csv_reader::fail(csv_error& err, std::uint64_t record_line,
                                     std::string message) {
  err.line = record_line;
  err.at_line = line_;
  err.offset = pos_;
  err.message = std::move(message);
  return outcome::error;
}

csv_reader::outcome csv_reader::next(csv_record& out, csv_error& err) {
  const std::size_t n = data_.size();
  // Empty lines are not records.
  while (pos_ < n) {
    if (data_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) return outcome::end;

  out.fields.clear();
  out.line = line_;
  out.begin = pos_;
  const std::uint64_t record_line = line_;
  const std::size_t record_begin = pos_;

  // Ends the record at a line break (or the end of the input) at pos_; returns false if the byte
  // at pos_ is something else.
  const auto end_of_record = [&]() -> bool {
    if (pos_ >= n) {
      out.end = n;
      out.end_line = line_;
      return true;
    }
    if (data_[pos_] == '\n') {
      out.end = pos_;
      ++pos_;
    } else if (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') {
      out.end = pos_;
      pos_ += 2;
    } else {
      return false;
    }
    out.end_line = line_;
    ++line_;
    return true;
  };

  for (;;) {
    std::string field;
    const std::size_t field_no = out.fields.size() + 1;
    if (pos_ < n && data_[pos_] == '"') {
      const std::uint64_t open_line = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= n) {
          // Resume at the line after the record's first one: the stray quote is most likely the
          // only thing wrong, and the rows after it are whole.
          err.line = record_line;
          err.at_line = line_;
          err.offset = n;
          err.message = "the quoted field " + std::to_string(field_no) + " opened on line " +
                        std::to_string(open_line) + " is never closed";
          const std::size_t nl = data_.find('\n', record_begin);
          pos_ = nl == std::string_view::npos ? n : nl + 1;
          line_ = record_line + 1;
          return outcome::error;
        }
        const char c = data_[pos_];
        if (c == '"') {
          if (pos_ + 1 < n && data_[pos_ + 1] == '"') {
            field.push_back('"');
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        if (c == '\n') ++line_;
        // Take a run of ordinary bytes at once.
        std::size_t run = pos_ + 1;
        while (run < n && data_[run] != '"' && data_[run] != '\n')
          ++run;
        field.append(data_.substr(pos_, run - pos_));
        pos_ = run;
      }
      if (pos_ < n && data_[pos_] == delimiter_) {
        ++pos_;
        out.fields.push_back(std::move(field));
        continue;
      }
      out.fields.push_back(std::move(field));
      if (end_of_record()) return outcome::record;
      const std::string what = "unexpected " + describe_byte(data_, pos_) +
                               " after the closing quote of field " + std::to_string(field_no) +
                               " (a quote inside a quoted field is written twice: \"\")";
      const outcome o = fail(err, record_line, what);
      skip_to_next_line();
      return o;
    }

    // Unquoted: up to the delimiter or the end of the line.
    std::size_t i = pos_;
    while (i < n) {
      const char c = data_[i];
      if (c == delimiter_ || c == '\n' || c == '"') break;
      if (c == '\r' && i + 1 < n && data_[i + 1] == '\n') break;
      ++i;
    }
    field.assign(data_.substr(pos_, i - pos_));
    pos_ = i;
    if (pos_ < n && data_[pos_] == '"') {
      const outcome o =
          fail(err, record_line,
               "a quote inside the unquoted field " + std::to_string(field_no) +
                   " (quote the whole field and write the quote twice: \"a \"\"b\"\" c\")");
      skip_to_next_line();
      return o;
    }
    out.fields.push_back(std::move(field));
    if (pos_ < n && data_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    (void)end_of_record();  // the loop above stopped at a line break or the end
    return outcome::record;
  }
}

}  // namespace crmrules::cli
