#include "input.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unordered_map>

#include "crmrules/model/json.hpp"
#include "crmrules/model/validate.hpp"
#include "csv_reader.hpp"
#include "terminal.hpp"
#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace crmrules::cli {

namespace {
std::string extension_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  return lower_ascii(std::string_view(path).substr(dot));
}

/// `text` for a message: quoted, cut to 40 code points.
std::string shown(std::string_view text) {
  std::string out = "'";
  std::size_t i = 0;
  std::size_t count = 0;
  while (i < text.size() && count < 40) {
    (void)detail::decode_utf8(text, i);
    ++count;
  }
  out.append(text.substr(0, i));
  if (i < text.size()) out.append("...");
  out.push_back('\'');
  return out;
}

bool is_blank(const value& v) {
  if (v.is_null()) return true;
  if (const auto* s = v.get_if<std::string>()) return s->empty();
  if (const auto* l = v.get_if<value::string_list>()) return l->empty();
  return false;
}

/// Checks every record has an id and the required fields, and that ids do not repeat.
template <stored_record R>
class record_checks {
 public:
  explicit record_checks(const read_request& rq) {
    for (const auto& name : rq.required) {
      if (const field_def* def = rq.fields->find(name)) required_.push_back(def);
    }
  }

  void check(const R& r, std::uint64_t line, bool csv, std::vector<std::string>& problems) {
    for (const field_def* def : required_) {
      if (is_blank(read_field(r, *def))) {
        problems.push_back("required field '" + def->name + "' is " +
                           (csv ? "empty" : "missing or empty"));
      }
    }
    // A missing required field is reported once: validate() would name it again.
    if (!problems.empty()) return;
    if (status s = validate(r); !s.ok()) problems.push_back(s.message());
    if (!problems.empty() || r.id.empty()) return;
    const auto [it, added] = seen_.try_emplace(r.id.str(), line);
    if (!added) {
      problems.push_back("id " + shown(r.id.str()) + " appears again (first on line " +
                         std::to_string(it->second) + ")");
    }
  }

 private:
  std::vector<const field_def*> required_;
  std::unordered_map<std::string, std::uint64_t> seen_;
};

/// The line of byte `offset`, counting from `line` at `from`.
std::uint64_t line_at(std::string_view data, std::size_t from, std::uint64_t line,
                      std::size_t offset) {
  for (std::size_t i = from; i < offset && i < data.size(); ++i) {
    if (data[i] == '\n') ++line;
  }
  return line;
}

template <stored_record R>
std::optional<record_set<R>> read_csv(const read_request& rq, std::string_view data, char delim,
                                      std::ostream& err) {
  const std::string& src = rq.path;
  csv_reader reader(data, delim);
  csv_record rec;
  csv_error bad;

  // The header.
  switch (reader.next(rec, bad)) {
    case csv_reader::outcome::end:
      err << src << ": error: the file is empty; a CSV file starts with a header row\n";
      return std::nullopt;
    case csv_reader::outcome::error:
      err << src << ':' << bad.at_line << ": error: malformed header row: " << bad.message << '\n';
      return std::nullopt;
    case csv_reader::outcome::record:
      break;
  }
  const std::string_view header_text = data.substr(rec.begin, rec.end - rec.begin);
  if (const auto at = detail::first_invalid_utf8(header_text)) {
    err << src << ':' << line_at(data, rec.begin, rec.line, rec.begin + *at)
        << ": error: header row: " << invalid_utf8_message(data, rec.begin + *at) << '\n';
    return std::nullopt;
  }

  const schema& fields = *rq.fields;
  const auto spellings = fields.spellings();
  const std::string kind(to_string(fields.kind()));
  std::vector<std::string> names;
  std::vector<const field_def*> columns;
  bool header_ok = true;
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    const std::string name(detail::trim_blanks(rec.fields[i]));
    names.push_back(name);
    if (name.empty()) {
      err << src << ':' << rec.line << ": error: column " << (i + 1) << " has no name\n";
      header_ok = false;
      columns.push_back(nullptr);
      continue;
    }
    const field_def* def = fields.find(name);
    for (std::size_t j = 0; def != nullptr && j < columns.size(); ++j) {
      if (columns[j] == def) {
        err << src << ':' << rec.line << ": error: columns '" << names[j] << "' and '" << name
            << "' are both the " << kind << " field '" << def->name << "'\n";
        header_ok = false;
      }
    }
    columns.push_back(def);
    if (def == nullptr) {
      const auto guess = detail::closest_match(name, spellings);
      err << src << ':' << rec.line << ": warning: column '" << name << "' is not "
          << (kind == "event" || kind == "opportunity" ? "an " : "a ") << kind
          << " field; it is ignored";
      if (guess) err << "; did you mean '" << *guess << "'?";
      err << '\n';
    }
  }
  for (const auto& req : rq.required) {
    const field_def* def = fields.find(req);
    bool present = false;
    for (const field_def* c : columns)
      present = present || (c != nullptr && c == def);
    if (present) continue;
    err << src << ':' << rec.line << ": error: missing required column '" << req << "'";
    if (def != nullptr && !def->aliases.empty()) {
      err << " (or one of its other names: " << joined(def->aliases) << ')';
    }
    err << "; the header has: " << joined(names) << '\n';
    header_ok = false;
  }
  if (!header_ok) return std::nullopt;

  record_set<R> out;
  out.source = src;
  bad_rows rows(err, src, rq.options->skip_bad_rows);
  record_checks<R> checks(rq);
  const std::string label = "reading " + src;
  std::uint64_t row = 0;
  std::vector<std::string> problems;
  for (;;) {
    const auto o = reader.next(rec, bad);
    if (o == csv_reader::outcome::end) break;
    ++row;
    problems.clear();
    if (o == csv_reader::outcome::error) {
      problems.push_back(
          "row " + std::to_string(row) + ": malformed row: " + bad.message +
          (bad.at_line != bad.line ? " (line " + std::to_string(bad.at_line) + ")" : ""));
      rows.bad(bad.line, problems);
      continue;
    }
    if (rq.meter != nullptr) rq.meter->tick(label, row);
    const std::string_view text = data.substr(rec.begin, rec.end - rec.begin);
    if (const auto at = detail::first_invalid_utf8(text)) {
      const std::size_t offset = rec.begin + *at;
      problems.push_back("row " + std::to_string(row) + ": " + invalid_utf8_message(data, offset));
      rows.bad(line_at(data, rec.begin, rec.line, offset), problems);
      continue;
    }
    if (rec.fields.size() != columns.size()) {
      problems.push_back("row " + std::to_string(row) + ": malformed row: it has " +
                         plural(rec.fields.size(), "field", "fields") + ", the header has " +
                         std::to_string(columns.size()));
      rows.bad(rec.line, problems);
      continue;
    }
    R r{};
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const field_def* def = columns[i];
      if (def == nullptr) continue;
      auto v = parse_cell(rec.fields[i], def->type);
      if (v && !v->is_null()) {
        if (status s = write_field(r, *def, std::move(*v)); !s.ok()) v = s;
      }
      if (!v) {
        std::string field = "field '" + names[i] + "'";
        if (names[i] != def->name) field += " (" + def->name + ")";
        problems.push_back("row " + std::to_string(row) + ", " + field + ": " +
                           v.error().message());
      }
    }
    if (problems.empty()) {
      checks.check(r, rec.line, true, problems);
      for (auto& p : problems)
        p = "row " + std::to_string(row) + ": " + p;
    }
    if (!problems.empty()) {
      rows.bad(rec.line, problems);
      continue;
    }
    out.records.push_back(std::move(r));
    out.lines.push_back(rec.line);
  }
  if (rq.meter != nullptr) rq.meter->clear();
  out.skipped = rows.count();
  if (!rows.finish()) return std::nullopt;
  return out;
}

template <stored_record R>
std::optional<record_set<R>> read_jsonl(const read_request& rq, std::string_view data,
                                        std::ostream& err) {
  record_set<R> out;
  out.source = rq.path;
  bad_rows rows(err, rq.path, rq.options->skip_bad_rows);
  record_checks<R> checks(rq);
  std::vector<std::string> problems;
  const std::string label = "reading " + rq.path;
  std::uint64_t count = 0;
  for_each_line(data, [&](std::uint64_t line, std::size_t begin, std::string_view text) {
    ++count;
    if (rq.meter != nullptr) rq.meter->tick(label, count);
    problems.clear();
    if (const auto at = detail::first_invalid_utf8(text)) {
      problems.push_back(invalid_utf8_message(data, begin + *at));
      rows.bad(line, problems);
      return;
    }
    auto r = from_json<R>(text);
    if (!r) {
      problems.push_back(r.error().message());
      rows.bad(line, problems);
      return;
    }
    checks.check(*r, line, false, problems);
    if (!problems.empty()) {
      rows.bad(line, problems);
      return;
    }
    out.records.push_back(std::move(*r));
    out.lines.push_back(line);
  });
  if (rq.meter != nullptr) rq.meter->clear();
  out.skipped = rows.count();
  if (!rows.finish()) return std::nullopt;
  return out;
}

}  // namespace

void bad_rows::bad(std::uint64_t line, const std::vector<std::string>& problems) {
  ++count_;
  if (count_ > max_reported_rows) return;
  for (const auto& p : problems) {
    err_ << source_ << ':' << line << ": " << (skip_ ? "warning: " : "error: ") << p
         << (skip_ ? " (" + noun_ + " skipped)" : std::string()) << '\n';
  }
}

void bad_rows::bad(std::uint64_t line, const std::string& problem) {
  bad(line, std::vector<std::string>{problem});
}

void bad_rows::warn(std::uint64_t line, const std::string& what) {
  err_ << source_ << ':' << line << ": warning: " << what << '\n';
}

bool bad_rows::finish() const {
  if (count_ > max_reported_rows) {
    err_ << source_ << ": " << (skip_ ? "warning: " : "error: ") << (count_ - max_reported_rows)
         << " more bad " << noun_ << "s not shown (" << count_ << " in all)\n";
  }
  if (count_ > 0 && !skip_) {
    err_ << source_ << ": error: " << plural(count_, "bad " + noun_, "bad " + noun_ + "s")
         << (count_ == 1 ? "; fix it" : "; fix them")
         << ", or pass --skip-bad-rows to leave them out\n";
    return false;
  }
  return true;
}

std::string invalid_utf8_message(std::string_view data, std::size_t offset) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(data[offset]));
  return "invalid UTF-8 at byte offset " + std::to_string(offset) + " (byte " + hex +
         "); save the file as UTF-8";
}

char delimiter_of(const std::string& option, const std::string& path) {
  if (option.empty()) return extension_of(path) == ".tsv" ? '\t' : ',';
  if (option == "\\t" || option == "tab" || option == "\t") return '\t';
  return option[0];
}

void add_input_options(CLI::App& app, input_options& options) {
  app.add_option("--input-format", options.format,
                 "Input format: csv or jsonl (default: by extension: .csv, .tsv, .jsonl, .ndjson)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  app.add_option("--delimiter", options.delimiter,
                 "CSV field delimiter: one ASCII character, or \\t / tab (default: ',', a tab for "
                 ".tsv)")
      ->check(CLI::Validator(
          [](std::string& d) -> std::string {
            if (d == "\\t" || d == "tab" || d == "\t") return {};
            if (d.size() != 1 || static_cast<unsigned char>(d[0]) >= 0x80 || d[0] == '"' ||
                d[0] == '\n' || d[0] == '\r') {
              return "the delimiter must be one ASCII character other than a quote or a line "
                     "break (got '" +
                     d + "')";
            }
            return {};
          },
          ""))
      ->type_name("CHAR");
  app.add_flag("--skip-bad-rows", options.skip_bad_rows,
               "Report malformed or invalid rows on stderr and leave them out (default: refuse "
               "the input after reporting them)");
}

std::optional<input_format> format_of(const std::string& path, const input_options& options,
                                      std::ostream& err) {
  if (options.format == "csv") return input_format::csv;
  if (options.format == "jsonl") return input_format::jsonl;
  const std::string ext = extension_of(path);
  if (ext == ".csv" || ext == ".tsv") return input_format::csv;
  if (ext == ".jsonl" || ext == ".ndjson") return input_format::jsonl;
  err << path << ": error: cannot tell the format from "
      << (path == "-" ? std::string("standard input") : "the extension '" + ext + "'")
      << "; pass --input-format csv or --input-format jsonl\n";
  return std::nullopt;
}

result<std::string> read_file(const std::string& path) {
  if (path == "-") {
    // Standard input can be read once; a second '-' would silently read nothing.
    static bool read_before = false;
    if (read_before) {
      return status::invalid_argument(
          "standard input ('-') was already read for another input; give a file for this one");
    }
    read_before = true;
    std::string data(std::istreambuf_iterator<char>(std::cin), {});
    if (std::cin.bad()) return status::unavailable("cannot read standard input");
    return data;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return status::invalid_argument("cannot read '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return status::not_found("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return status::unavailable("cannot read '" + path + "': " + std::strerror(errno));
  return std::move(buf).str();
}

result<value> parse_cell(std::string_view text, value_type type) {
  if (type == value_type::string) {
    if (text.empty()) return value{};
    return value(text);
  }
  const std::string_view t = detail::trim_blanks(text);
  if (t.empty()) return value{};
  switch (type) {
    case value_type::null:
    case value_type::string:
      break;
    case value_type::boolean: {
      const std::string l = lower_ascii(t);
      if (l == "true" || l == "yes" || l == "1" || l == "是") return value(true);
      if (l == "false" || l == "no" || l == "0" || l == "否") return value(false);
      return status::invalid_argument(shown(t) +
                                      " is not a boolean (true/false, yes/no, 1/0, 是/否)");
    }
    case value_type::integer: {
      std::int64_t i = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
      if (ec != std::errc() || ptr != t.data() + t.size()) {
        return status::invalid_argument(shown(t) + " is not an integer");
      }
      return value(i);
    }
    case value_type::decimal: {
      double d = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      if (ec != std::errc() || ptr != t.data() + t.size()) {
        return status::invalid_argument(shown(t) + " is not a number");
      }
      return value(d);
    }
    case value_type::money: {
      auto m = money::parse(t);
      if (!m) {
        return status::invalid_argument(shown(t) +
                                        " is not an amount (e.g. 500000, 1,234.56, ¥800, 50万)");
      }
      return value(*m);
    }
    case value_type::time: {
      auto ts = parse_timestamp(t);
      if (!ts) {
        return status::invalid_argument(shown(t) +
                                        " is not a time (e.g. 2026-11-22T09:30:00Z, 2026-11-22)");
      }
      return value(*ts);
    }
    case value_type::interval: {
      auto d = parse_duration(t);
      if (!d) return status::invalid_argument(shown(t) + " is not a duration (e.g. 2h, 1h30m, 3d)");
      return value(*d);
    }
    case value_type::string_list: {
      value::string_list items;
      std::size_t start = 0;
      while (start <= text.size()) {
        const std::size_t semi = text.find(';', start);
        const std::size_t stop = semi == std::string_view::npos ? text.size() : semi;
        const std::string_view item = detail::trim_blanks(text.substr(start, stop - start));
        if (!item.empty()) items.emplace_back(item);
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
      return value(std::move(items));
    }
  }
  return status::internal("unknown field type");
}

template <stored_record R>
std::optional<record_set<R>> read_records(const read_request& rq, std::ostream& err) {
  const auto format = format_of(rq.path, *rq.options, err);
  if (!format) return std::nullopt;
  auto data = read_file(rq.path);
  if (!data) {
    err << "crmrules: error: " << data.error().message() << '\n';
    return std::nullopt;
  }
  // Messages name standard input "<stdin>".
  read_request named = rq;
  if (rq.path == "-") named.path = "<stdin>";
  if (*format == input_format::jsonl) return read_jsonl<R>(named, *data, err);
  return read_csv<R>(named, *data, delimiter_of(rq.options->delimiter, rq.path), err);
}

// Every kind of record a subcommand reads.
template std::optional<record_set<customer>> read_records(const read_request&, std::ostream&);
template std::optional<record_set<lead>> read_records(const read_request&, std::ostream&);
template std::optional<record_set<rep>> read_records(const read_request&, std::ostream&);
template std::optional<record_set<team>> read_records(const read_request&, std::ostream&);
template std::optional<record_set<event>> read_records(const read_request&, std::ostream&);
template std::optional<record_set<opportunity>> read_records(const read_request&, std::ostream&);

}  // namespace crmrules::cli
