#include "output.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "util/utf8.hpp"

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

output_format output_options::form() const noexcept {
  if (format == "csv") return output_format::csv;
  if (format == "table") return output_format::table;
  return output_format::jsonl;
}

void add_output_options(CLI::App& app, output_options& options) {
  app.add_option("--output", options.path, "Write the results here (default: stdout)")
      ->type_name("FILE");
  app.add_option("--format", options.format,
                 "Output format: jsonl (one JSON object per line), csv, or table (aligned "
                 "columns for people)")
      ->check(CLI::IsMember({"jsonl", "csv", "table"}))
      ->capture_default_str();
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string cell_text(const nlohmann::ordered_json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() &&
      std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_primitive(); })) {
    std::string out;
    for (const auto& e : v) {
      if (!out.empty()) out += ';';
      out += cell_text(e);
    }
    return out;
  }
  return dump(v);
}

std::size_t text_columns(const std::string& s) {
  std::size_t cols = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = detail::decode_utf8(s, i);
    cols += static_cast<std::size_t>(std::max(0, detail::display_width(cp)));
  }
  return cols;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// `s` cut to at most `max` columns (the last one an ellipsis), whole code points only.
std::string clip(const std::string& s, std::size_t max) {
  if (text_columns(s) <= max) return s;
  std::string out;
  std::size_t cols = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t begin = i;
    const char32_t cp = detail::decode_utf8(s, i);
    const auto w = static_cast<std::size_t>(std::max(0, detail::display_width(cp)));
    if (cols + w + 1 > max) break;
    cols += w;
    out.append(s, begin, i - begin);
  }
  return out + "…";
}

/// One line of a table cell: control characters (line breaks, tabs, escape sequences that would
/// drive the terminal) shown as spaces.
std::string flat(std::string s) {
  std::replace_if(
      s.begin(), s.end(),
      [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
      },
      ' ');
  return s;
}

}  // namespace

void row_writer::start_block(const std::vector<std::string>& keys) {
  finish();
  keys_ = keys;
  if (format_ == output_format::csv) {
    if (any_block_) out_ << "\r\n";
    for (std::size_t i = 0; i < keys_.size(); ++i)
      out_ << (i ? "," : "") << csv_field(keys_[i]);
    out_ << "\r\n";
  }
  any_block_ = true;
}

void row_writer::write(const nlohmann::ordered_json& row_in) {
  const nlohmann::ordered_json row =
      row_in.is_object() ? row_in : nlohmann::ordered_json{{"value", row_in}};
  if (format_ == output_format::jsonl) {
    out_ << dump(row) << '\n';
    return;
  }
  std::vector<std::string> keys;
  keys.reserve(row.size());
  for (const auto& [k, unused] : row.items())
    keys.push_back(k);
  if (!any_block_ || keys != keys_) start_block(keys);
  if (format_ == output_format::csv) {
    bool first = true;
    for (const auto& [k, v] : row.items()) {
      out_ << (first ? "" : ",") << csv_field(cell_text(v));
      first = false;
    }
    out_ << "\r\n";
    return;
  }
  std::vector<std::string> cells;
  cells.reserve(row.size());
  for (const auto& [k, v] : row.items())
    cells.push_back(clip(flat(cell_text(v)), max_cell_));
  table_.push_back(std::move(cells));
}

void row_writer::finish() {
  if (format_ != output_format::table || keys_.empty()) return;
  std::vector<std::size_t> width(keys_.size());
  for (std::size_t c = 0; c < keys_.size(); ++c)
    width[c] = text_columns(keys_[c]);
  for (const auto& r : table_) {
    for (std::size_t c = 0; c < r.size(); ++c)
      width[c] = std::max(width[c], text_columns(r[c]));
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      out += cells[c];
      if (c + 1 < cells.size()) out.append(width[c] - text_columns(cells[c]) + 2, ' ');
    }
    out_ << out << '\n';
  };
  if (printed_tables_++ > 0) out_ << '\n';
  line(keys_);
  std::vector<std::string> rule;
  for (std::size_t c = 0; c < keys_.size(); ++c)
    rule.push_back(std::string(width[c], '-'));
  line(rule);
  for (const auto& r : table_)
    line(r);
  table_.clear();
  keys_.clear();
}

}  // namespace crmrules::cli
